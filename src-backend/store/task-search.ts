// Full-text search over the FTS5 index (fts-index.ts, migration 8): which tasks match, newest first, and for
// each the field that matched with a short snippet of it. A read part of the store like
// task-queries.ts, apart because it changes with the index (tokenizer, snippets, ranking).
import type Database from 'better-sqlite3'
import type { SearchField, SearchResponse, SearchResult } from '../../src-shared/protocol'
import { FTS_COLUMNS, indexedText } from './fts-index'
import { MAX_QUERY_WORDS, toFtsQuery } from './fts-query'

/** The indexed fields, in the index's column order. */
export const SEARCH_FIELDS: readonly SearchField[] = FTS_COLUMNS

export type SearchPage = Omit<SearchResponse, 'query'>

/** The longest snippet sent (characters). */
export const SNIPPET_CHARS = 160
/** Characters of context kept before the first hit. */
const LEAD_CHARS = 50

/**
 * Which field a result shows: the first (in this order) that holds a hit. Short fields first, so a
 * title or agent match is named as such even when the output mentions the word too.
 */
const FIELD_ORDER: readonly SearchField[] = [
  'title',
  'task_id',
  'assignee',
  'project_id',
  'description',
  'error',
  'output',
]
/** The fields before error and output in FIELD_ORDER: those read first. */
const SHORT_FIELDS = FIELD_ORDER.slice(0, 5)

/** The FTS5 subquery of matching rowids, for listings that filter by text (`rowid IN (…)`). */
export const MATCHING_ROWIDS = 'SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?'

type TextRow = Record<SearchField, string | null>

export type TaskSearch = ReturnType<typeof createTaskSearch>

export function createTaskSearch(db: Database.Database) {
  const stmts = {
    // Newest first over the match set: SQLite reads the matching rowids from FTS5 into a set, then
    // walks the (updated_at, task_id) index newest first, keeping the rows in the set, and stops at
    // `limit`; the index holds rowid, so no table row is read. Left to itself the planner looks
    // every match up in the table and sorts: 400–460 ms of CPU for a word in 95,000 of 100,000
    // tasks (the row's updated_at sits after its output, across overflow pages), against 40–60 ms
    // this way; a rare word costs a scan of the index instead (≈ 10 ms at 100,000 tasks).
    hits: db.prepare<[string, number], { rowid: number; task_id: string }>(
      `SELECT rowid, task_id FROM tasks INDEXED BY tasks_by_updated WHERE rowid IN (${MATCHING_ROWIDS})
       ORDER BY updated_at DESC, task_id DESC LIMIT ?`,
    ),
    // A row's short texts first: they sit before output in the record, so reading them does not
    // walk output's overflow pages (a row read with its output was 16 µs of the ~20 µs a result
    // cost at 100,000 tasks). error and output are read only when no short field holds the hit.
    shortTexts: db.prepare<[number], TextRow>(
      `SELECT ${SHORT_FIELDS.join(', ')}, NULL AS error, NULL AS output FROM tasks WHERE rowid = ?`,
    ),
    longTexts: db.prepare<[number], Pick<TextRow, 'error' | 'output'>>(
      'SELECT error, output FROM tasks WHERE rowid = ?',
    ),
  }

  function textsOf(rowid: number, finder: RegExp | null): TextRow | undefined {
    const row = stmts.shortTexts.get(rowid)
    if (!row) return undefined
    // `finder` has no g flag: test() keeps no state between calls.
    const inShort = finder !== null && SHORT_FIELDS.some((f) => (row[f] ? finder.test(row[f]) : false))
    return inShort ? row : { ...row, ...stmts.longTexts.get(rowid) }
  }

  return {
    /** Tasks whose indexed text has every word of `text` (as a prefix), newest first. */
    search: (text: string, limit: number): SearchPage => {
      const match = toFtsQuery(text)
      if (match === null) return { results: [], truncated: false }
      const hits = stmts.hits.all(match, limit + 1)
      const finder = hitFinder(text)
      const results = hits.slice(0, limit).map((hit): SearchResult => {
        const row = textsOf(hit.rowid, finder)
        return row
          ? describeHit(hit.task_id, row, finder)
          : { task_id: hit.task_id, field: 'task_id', snippet: hit.task_id }
      })
      return { results, truncated: hits.length > limit }
    },
  }
}

// The field and snippet are found here rather than with FTS5's snippet(): snippet() re-runs the
// MATCH for the row and tokenizes every column it considers, which cost seconds per page for a
// common word at 5,000 tasks (docs/benchmarks.md "Search"). A regex over ≤ limit rows' texts
// finds the same place: a word's first token at a token start, case-insensitive.
const TOKEN = /[\p{L}\p{N}]+/gu

/** A regex finding the start of any query word in a text, or null when no word has a token. */
export function hitFinder(text: string): RegExp | null {
  const firsts = new Set<string>()
  for (const word of text.split(/[\s\0]+/u)) {
    // The words the index query uses, no more: a 1,000-character q of 500 words made a regex of
    // 500 alternatives, run over every result's texts.
    if (firsts.size >= MAX_QUERY_WORDS) break
    const token = word.match(TOKEN)?.[0]
    if (token) firsts.add(token.slice(0, 128).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  }
  if (firsts.size === 0) return null
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${[...firsts].join('|')})`, 'iu')
}

function describeHit(taskId: string, row: TextRow, finder: RegExp | null): SearchResult {
  for (const field of FIELD_ORDER) {
    const stored = row[field]
    if (!stored || !finder) continue
    // Only where the index looked: the head and tail of a long output, not the whole log.
    const value = indexedText(field, stored)
    const at = value.search(finder)
    if (at >= 0) return { task_id: taskId, field, snippet: snippetAt(value, at) }
  }
  // Matched through folding the regex does not do (diacritics): the first field with text.
  const field = FIELD_ORDER.find((f) => row[f]) ?? 'task_id'
  return { task_id: taskId, field, snippet: snippetAt(row[field] ?? taskId, 0) }
}

/** ≤ SNIPPET_CHARS characters of `value` around offset `at`, whitespace collapsed, cuts marked "…". */
export function snippetAt(value: string, at: number): string {
  const start = Math.max(0, at - LEAD_CHARS)
  // Enough raw text for the window even after whitespace collapses; code points, not UTF-16 units.
  const raw = value.slice(start, start + SNIPPET_CHARS * 4)
  let body = raw.replace(/\s+/gu, ' ')
  if (start === 0) body = body.trimStart()
  const head = start > 0 ? '…' : ''
  const chars = Array.from(body)
  const room = SNIPPET_CHARS - head.length
  const cut = chars.length > room || start + raw.length < value.length
  const kept = cut
    ? chars
        .slice(0, room - 1)
        .join('')
        .trimEnd() + '…'
    : chars.join('').trimEnd()
  return head + kept
}
