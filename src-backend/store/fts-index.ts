// What the full-text index (migration 8) holds and how it is kept in step with `tasks`.
//
// Why not FTS5 triggers on `tasks` (migration 5 did that): FTS5 flushes its pending terms to a new
// on-disk segment at every statement savepoint, and the write path's upsert opens one per event
// (a statement journal: triggers, NOT NULL checks). So each event wrote its own tiny segment and
// ran FTS5's merge of segments, reading the index's pages: at 10,000 tasks a batch of 500 output
// rewrites took 13–17 s of CPU (106 events/CPU-s against 4,285 without the index; perf: 63 % in
// fts5IndexFlush ← sqlite3VtabSavepoint). Here triggers only note which tasks changed (a row in
// `tasks_fts_dirty`), and `syncFtsIndex` re-indexes them with one statement at the end of the
// write transaction: one segment per commit, inside the same transaction as the task writes.
//
// The index is contentless with contentless_delete=1: it keeps no copy of the text, and a task is
// removed from it by rowid without re-tokenizing its old text (an external-content index needs the
// old text to delete, which is gone once the row is updated). Search reads texts from `tasks`.
//
// Long texts are indexed by a window: their first FTS_HEAD_CHARS and last FTS_TAIL_CHARS
// characters. A running task's output is rewritten whole on every update, so indexing all of a
// 2 MB log costs 2 MB of tokenizing per update; its start (the command, the config) and its end
// (where a failure is) are what people search for. Text in the middle of a longer field is not
// found (docs/operations.md "Full-text search index"); the full text stays in `tasks`.
import type Database from 'better-sqlite3'

/** Characters of a long field's start that are indexed. */
export const FTS_HEAD_CHARS = 4096
/** Characters of a long field's end that are indexed. */
export const FTS_TAIL_CHARS = 12288
/** Fields up to this length are indexed whole. */
export const FTS_WHOLE_CHARS = FTS_HEAD_CHARS + FTS_TAIL_CHARS

/** The indexed columns, in the index's column order. */
export const FTS_COLUMNS = [
  'task_id',
  'title',
  'description',
  'output',
  'error',
  'assignee',
  'project_id',
] as const

/** Columns that may be long and are indexed by their window (the others are short identifiers). */
const WINDOWED = new Set<string>(['title', 'description', 'output', 'error'])

/** The SQL expression of the indexed text of `column` of the row named `table`. */
export function indexedTextSql(table: string, column: string): string {
  const c = `${table}.${column}`
  if (!WINDOWED.has(column)) return c
  // length() and substr() count characters on TEXT, as the JS twin below does (code points).
  return `CASE WHEN length(${c}) > ${FTS_WHOLE_CHARS} THEN substr(${c}, 1, ${FTS_HEAD_CHARS}) || char(10) || substr(${c}, -${FTS_TAIL_CHARS}) ELSE ${c} END`
}

/**
 * The text of a field as the index holds it (the JS twin of indexedTextSql): where a hit can be.
 * Search looks for the snippet here, so it never shows a place the index did not match, and never
 * runs a regex over a whole 2 MB log.
 */
export function indexedText(column: string, value: string): string {
  // UTF-16 units ≥ code points, so a value this short is whole in SQL's count too.
  if (!WINDOWED.has(column) || value.length <= FTS_WHOLE_CHARS) return value
  const headEnd = advanceCodePoints(value, 0, FTS_HEAD_CHARS, 1)
  const tailStart = advanceCodePoints(value, value.length, FTS_TAIL_CHARS, -1)
  if (headEnd >= tailStart) return value // ≤ FTS_WHOLE_CHARS code points (astral characters)
  return `${value.slice(0, headEnd)}\n${value.slice(tailStart)}`
}

/** The UTF-16 index `count` code points from `from`, forwards (1) or backwards (-1). */
function advanceCodePoints(s: string, from: number, count: number, direction: 1 | -1): number {
  let i = from
  for (let n = 0; n < count; n++) {
    if (direction === 1) {
      if (i >= s.length) return s.length
      i += isSurrogatePair(s, i) ? 2 : 1
    } else {
      if (i <= 0) return 0
      i -= isSurrogatePair(s, i - 2) ? 2 : 1
    }
  }
  return i
}

function isSurrogatePair(s: string, i: number): boolean {
  if (i < 0) return false
  const hi = s.charCodeAt(i)
  const lo = s.charCodeAt(i + 1)
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff
}

/** Inserts the tasks of `from` (a FROM clause naming the tasks alias `t`) into the index `into`. */
export function indexTasksSql(from: string, into = 'tasks_fts'): string {
  return `INSERT INTO ${into} (rowid, ${FTS_COLUMNS.join(', ')})
    SELECT t.rowid, ${FTS_COLUMNS.map((c) => indexedTextSql('t', c)).join(', ')} ${from}`
}

/** Migration 8: the contentless index, the dirty list and its triggers, built from every task. */
export const FTS_MIGRATION = `
  DROP TRIGGER tasks_fts_on_insert;
  DROP TRIGGER tasks_fts_on_update;
  DROP TRIGGER tasks_fts_on_delete;
  DROP TABLE tasks_fts;
  CREATE VIRTUAL TABLE tasks_fts USING fts5(
    ${FTS_COLUMNS.join(', ')},
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2');
  -- Tasks whose indexed text changed in the open transaction; indexed = 1 when the index holds
  -- an older version of the row (to delete first). Empty between transactions.
  CREATE TABLE tasks_fts_dirty (task_rowid INTEGER PRIMARY KEY, indexed INTEGER NOT NULL) STRICT;
  CREATE TRIGGER tasks_fts_dirty_on_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO tasks_fts_dirty (task_rowid, indexed) VALUES (new.rowid, 0) ON CONFLICT DO NOTHING;
  END;
  CREATE TRIGGER tasks_fts_dirty_on_update AFTER UPDATE OF ${FTS_COLUMNS.join(', ')} ON tasks
  WHEN ${FTS_COLUMNS.map((c) => `old.${c} IS NOT new.${c}`).join(' OR ')}
  BEGIN
    INSERT INTO tasks_fts_dirty (task_rowid, indexed) VALUES (old.rowid, 1) ON CONFLICT DO NOTHING;
  END;
  CREATE TRIGGER tasks_fts_dirty_on_delete AFTER DELETE ON tasks BEGIN
    INSERT INTO tasks_fts_dirty (task_rowid, indexed) VALUES (old.rowid, 1) ON CONFLICT DO NOTHING;
  END;
  ${indexTasksSql('FROM tasks AS t')};
`

export type FtsSync = () => void

/**
 * Re-indexes the tasks noted dirty, inside the caller's transaction (the write path calls it last
 * in every batch, so the index commits with the tasks). A no-op when nothing is dirty.
 */
export function createFtsSync(db: Database.Database): FtsSync {
  const anyDirty = db.prepare<[], { x: number }>('SELECT 1 AS x FROM tasks_fts_dirty LIMIT 1')
  const removeOld = db.prepare(
    'DELETE FROM tasks_fts WHERE rowid IN (SELECT task_rowid FROM tasks_fts_dirty WHERE indexed = 1)',
  )
  const addNew = db.prepare(
    indexTasksSql('FROM tasks_fts_dirty AS d JOIN tasks AS t ON t.rowid = d.task_rowid'),
  )
  const clear = db.prepare('DELETE FROM tasks_fts_dirty')
  return () => {
    if (!anyDirty.get()) return
    removeOld.run()
    addNew.run()
    clear.run()
  }
}
