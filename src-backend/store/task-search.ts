// Full-text search over the FTS5 index of migration 5: which tasks match, newest first, and for
// each the field that matched with a short snippet of it. A read part of the store like
// task-queries.ts, apart because it changes with the index (tokenizer, snippets, ranking).
import type Database from 'better-sqlite3'
import type { SearchField, SearchResponse, SearchResult } from '../../src-shared/protocol'
import { toFtsQuery } from './fts-query'

/** The indexed fields, in the index's column order (migration 5). */
export const SEARCH_FIELDS: readonly SearchField[] = [
  'task_id',
  'title',
  'description',
  'output',
  'error',
  'assignee',
  'project_id',
]

export type SearchPage = Omit<SearchResponse, 'query'>

/** The longest snippet sent (characters); FTS5 cuts by tokens, a token can be long. */
export const SNIPPET_CHARS = 160
const SNIPPET_TOKENS = 20
/** Marks a hit in the probe snippets; control characters a task text does not hold. */
const MARK = '\u0002\u0003'

const col = (f: SearchField) => SEARCH_FIELDS.indexOf(f)
/**
 * Which field a result shows: the first (in this order) that holds a hit. Short fields first, so a
 * task whose title matches never tokenizes its output; output is the remaining case, probed never.
 */
const FIELD_ORDER: readonly SearchField[] = [
  'title',
  'task_id',
  'assignee',
  'project_id',
  'description',
  'error',
]

/** The FTS5 subquery of matching rowids, for listings that filter by text (`rowid IN (…)`). */
export const MATCHING_ROWIDS = 'SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?'

export type TaskSearch = ReturnType<typeof createTaskSearch>

export function createTaskSearch(db: Database.Database) {
  const stmts = {
    // Newest first over the match set: SQLite reads the matching rowids from the index, then
    // keeps the top `limit` by (updated_at, task_id); no text is read.
    hits: db.prepare<[string, number], { rowid: number; task_id: string }>(
      `SELECT rowid, task_id FROM tasks WHERE rowid IN (${MATCHING_ROWIDS})
       ORDER BY updated_at DESC, task_id DESC LIMIT ?`,
    ),
    field: db.prepare<[string, number], { c: number }>(
      `SELECT CASE
         ${FIELD_ORDER.map((f) => `WHEN instr(snippet(tasks_fts, ${col(f)}, '${MARK}', '', '', 1), '${MARK}') > 0 THEN ${col(f)}`).join('\n         ')}
         ELSE ${col('output')} END AS c
       FROM tasks_fts WHERE tasks_fts MATCH ? AND rowid = ?`,
    ),
    snippet: db.prepare<[number, string, number], { s: string | null }>(
      `SELECT snippet(tasks_fts, ?, '', '', '…', ${SNIPPET_TOKENS}) AS s
       FROM tasks_fts WHERE tasks_fts MATCH ? AND rowid = ?`,
    ),
  }

  return {
    /** Tasks whose indexed text has every word of `text` (as a prefix), newest first. */
    search: (text: string, limit: number): SearchPage => {
      const match = toFtsQuery(text)
      if (match === null) return { results: [], truncated: false }
      const hits = stmts.hits.all(match, limit + 1)
      const results = hits.slice(0, limit).map((hit): SearchResult => {
        const c = stmts.field.get(match, hit.rowid)?.c ?? col('output')
        const s = stmts.snippet.get(c, match, hit.rowid)?.s ?? ''
        return {
          task_id: hit.task_id,
          field: SEARCH_FIELDS[c]!,
          snippet: clip(s.replace(/\s+/gu, ' ').trim()),
        }
      })
      return { results, truncated: hits.length > limit }
    },
  }
}

function clip(s: string): string {
  const chars = Array.from(s)
  return chars.length <= SNIPPET_CHARS ? s : `${chars.slice(0, SNIPPET_CHARS - 1).join('')}…`
}
