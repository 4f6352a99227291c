// Full-text search: the FTS5 index kept in step with every task write (inside its transaction),
// and what a search returns (field, snippet, order, limit). Real SQLite files; tasks are written
// through the real write path.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { TaskEvent } from '../../src-shared/protocol'
import { storeEvent } from '../../test/helpers/store-fixtures'
import type Database from 'better-sqlite3'
import { FTS_COLUMNS, FTS_HEAD_CHARS, FTS_TAIL_CHARS, createFtsSync, indexTasksSql } from './fts-index'
import { openTaskDatabase, type TaskDatabase } from './task-database'
import { createTaskSearch } from './task-search'
import { createTaskWrites } from './task-writes'

const dirs: string[] = []
const databases: TaskDatabase[] = []
function parts(opts: { inMemory?: boolean; eventRetention?: number } = {}) {
  let file = ':memory:'
  if (!opts.inMemory) {
    const dir = mkdtempSync(join(tmpdir(), 'taskpulse-search-'))
    dirs.push(dir)
    file = join(dir, 'db.sqlite')
  }
  const database = openTaskDatabase({ file, checkpointInWorker: false })
  databases.push(database)
  const { db } = database
  return {
    db,
    writes: createTaskWrites(db, { outbox: false, eventRetention: opts.eventRetention }),
    search: createTaskSearch(db).search,
    /** The index is sound and holds exactly the indexed text of every task, no more (throws if not). */
    checkIndex: () => expectIndexMatchesTasks(db),
  }
}

/** Every (term, rowid, column, position) the index holds, from FTS5's own vocabulary table. */
function indexInstances(db: Database.Database, schema: string, table: string): string[] {
  db.exec(`DROP TABLE IF EXISTS temp.check_vocab;
    CREATE VIRTUAL TABLE temp.check_vocab USING fts5vocab('${schema}', '${table}', 'instance')`)
  return db
    .prepare<[], { term: string; doc: number; col: string; offset: number }>(
      'SELECT term, doc, col, offset FROM temp.check_vocab ORDER BY term, doc, col, offset',
    )
    .all()
    .map((r) => `${r.term} ${r.doc} ${r.col} ${r.offset}`)
}

/**
 * The contentless index has no content table for FTS5's integrity-check to compare against, so
 * the check builds a fresh index of the same tasks (same windows, same tokenizer) and compares
 * every entry.
 */
function expectIndexMatchesTasks(db: Database.Database): void {
  db.exec("INSERT INTO tasks_fts (tasks_fts) VALUES ('integrity-check')")
  expect(db.prepare('SELECT count(*) AS n FROM tasks_fts_dirty').get()).toEqual({ n: 0 })
  db.exec(`DROP TABLE IF EXISTS temp.fts_reference;
    CREATE VIRTUAL TABLE temp.fts_reference USING fts5(${FTS_COLUMNS.join(', ')}, content = '',
      tokenize = 'unicode61 remove_diacritics 2');
    ${indexTasksSql('FROM main.tasks AS t', 'temp.fts_reference')}`)
  const live = indexInstances(db, 'main', 'tasks_fts')
  const reference = indexInstances(db, 'temp', 'fts_reference')
  expect(live.length).toBe(reference.length)
  expect(live).toEqual(reference)
}
const syncFtsIndex = (db: Database.Database) => createFtsSync(db)()

afterEach(() => {
  for (const d of databases.splice(0)) d.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const ev = storeEvent
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()

describe('the index is kept in step', () => {
  it('through insert, update, cleared output, delete and history pruning', () => {
    const { db, writes, search, checkIndex } = parts({ eventRetention: 1000 })
    const ids = (q: string) => search(q, 100).results.map((r) => r.task_id)

    writes.apply([ev('a', { status: 'running', output: 'compiling walrus' }, t(1))])
    expect(ids('walrus')).toEqual(['a'])
    checkIndex()

    writes.apply([ev('a', { output: 'linking narwhal' }, t(2))])
    expect(ids('walrus')).toEqual([])
    expect(ids('narwhal')).toEqual(['a'])
    checkIndex()

    writes.apply([ev('a', { status: 'completed' }, t(3))]) // no indexed text changes
    expect(ids('narwhal')).toEqual(['a'])

    writes.apply([ev('a', { output: null }, t(4))])
    expect(ids('narwhal')).toEqual([])
    checkIndex()

    writes.apply([ev('b', { title: 'keep me', error: 'octopus failure' }, t(5))])
    // Pruning deletes history, never tasks: the index still finds them.
    writes.apply(Array.from({ length: 1500 }, (_, i) => ev('c', { title: `bulk ${i}` }, t(6))))
    expect(writes.pruneHistory()).toBeGreaterThan(0)
    expect(ids('octopus')).toEqual(['b'])
    checkIndex()

    // A write outside the write path syncs the index in its own transaction.
    db.transaction(() => {
      db.prepare("DELETE FROM tasks WHERE task_id = 'b'").run()
      syncFtsIndex(db)
    })()
    expect(ids('octopus')).toEqual([])
    checkIndex()
  })

  it('indexes a long text by its head and tail, and follows a growing output', () => {
    const { writes, search, checkIndex } = parts()
    const ids = (q: string) => search(q, 100).results.map((r) => r.task_id)
    const filler = (n: number) => 'filler '.repeat(Math.ceil(n / 7))
    const log = `alphastart ${filler(FTS_HEAD_CHARS)} middleword ${filler(FTS_TAIL_CHARS)} omegaend`
    writes.apply([ev('long', { status: 'running', output: log, error: log }, t(1))])
    expect(ids('alphastart')).toEqual(['long'])
    expect(ids('omegaend')).toEqual(['long'])
    // The documented trade-off: the middle of a long text is not searched.
    expect(ids('middleword')).toEqual([])
    expect(search('omegaend', 5).results[0]).toMatchObject({ field: 'error' })
    expect(search('omegaend', 5).results[0]!.snippet).toContain('filler omegaend')
    checkIndex()

    // The output grows: what was its tail moves into the unindexed middle, the new tail is found.
    writes.apply([ev('long', { output: `${log} ${filler(FTS_TAIL_CHARS)} zetanew`, error: null }, t(2))])
    expect(ids('zetanew')).toEqual(['long'])
    expect(ids('omegaend')).toEqual([])
    expect(ids('alphastart')).toEqual(['long'])
    checkIndex()
  })

  it('indexes tasks written by hand while the server was stopped when the write path starts', () => {
    const { db, writes, search, checkIndex } = parts()
    writes.apply([ev('a', { title: 'first' }, t(1))])
    db.prepare("UPDATE tasks SET title = 'handwritten walrus' WHERE task_id = 'a'").run()
    expect(search('walrus', 10).results).toEqual([])
    createTaskWrites(db, { outbox: false }) // what the next start does
    expect(search('walrus', 10).results.map((r) => r.task_id)).toEqual(['a'])
    checkIndex()
  })

  it('rolls back with the batch that failed', () => {
    const { writes, search, checkIndex } = parts()
    writes.apply([ev('a', { title: 'before' }, t(1))])
    const bad = { ...ev('b', {}, t(2)), fields: { title: Symbol('x') } } as unknown as TaskEvent
    expect(() =>
      writes.apply([ev('a', { title: 'zebra' }, t(2)), ev('c', { title: 'zebra' }, t(2)), bad]),
    ).toThrow()
    expect(search('zebra', 10).results).toEqual([])
    expect(search('before', 10).results.map((r) => r.task_id)).toEqual(['a'])
    checkIndex()
  })
})

describe('search', () => {
  it('names the field that matched, with a short snippet of it', () => {
    const { writes, search } = parts()
    // Past the indexed head, inside the indexed tail of the output.
    const longOutput = `${'noise line\n'.repeat(3000)}fatal: disk quota exceeded on /var/data\n${'more\n'.repeat(2000)}`
    writes.apply([
      ev(
        'jvm-1',
        { status: 'failed', error: 'Exception in thread "main" java.lang.OutOfMemoryError: heap' },
        t(1),
      ),
      ev('log-1', { status: 'running', output: longOutput }, t(2)),
      ev('t-1', { title: 'Nightly backup of the warehouse' }, t(3)),
      ev('t-2', { assignee: 'claude-code@repo-x' }, t(4)),
      ev('t-3', { project_id: 'billing-api' }, t(5)),
      ev('deploy-42', { description: 'roll out the canary' }, t(6)),
    ])
    const one = (q: string) => {
      const { results } = search(q, 10)
      expect(results, q).toHaveLength(1)
      return results[0]!
    }
    expect(one('OutOfMemory')).toMatchObject({ task_id: 'jvm-1', field: 'error' })
    expect(one('OutOfMemory').snippet).toContain('java.lang.OutOfMemoryError')
    const quota = one('quota exceeded')
    expect(quota).toMatchObject({ task_id: 'log-1', field: 'output' })
    expect(quota.snippet).toContain('disk quota exceeded')
    expect(quota.snippet.length).toBeLessThanOrEqual(160)
    expect(one('warehouse')).toMatchObject({
      task_id: 't-1',
      field: 'title',
      snippet: 'Nightly backup of the warehouse',
    })
    expect(one('claude-code')).toMatchObject({ task_id: 't-2', field: 'assignee' })
    expect(one('billing')).toMatchObject({ task_id: 't-3', field: 'project_id' })
    expect(one('deploy-42')).toMatchObject({ task_id: 'deploy-42', field: 'task_id' })
    expect(one('canary')).toMatchObject({ task_id: 'deploy-42', field: 'description' })
  })

  it('cuts a snippet around the hit, and survives regex characters and folded accents in the query', () => {
    const { writes, search } = parts()
    const output = `${'a'.repeat(5000)}\n\n   stage   three: c++ (gcc) failed\n${'z'.repeat(5000)}`
    writes.apply([ev('build-9', { output }, t(1)), ev('order-1', { title: 'Café crème order' }, t(2))])
    const [cpp] = search('c++ (gcc)', 5).results
    expect(cpp).toMatchObject({ task_id: 'build-9', field: 'output' })
    expect(cpp!.snippet.startsWith('…')).toBe(true)
    expect(cpp!.snippet.endsWith('…')).toBe(true)
    expect(cpp!.snippet).toContain('stage three: c++ (gcc) failed')
    expect(Array.from(cpp!.snippet).length).toBeLessThanOrEqual(160)
    // The index folds accents (remove_diacritics 2); the snippet falls back to the title's start.
    expect(search('cafe creme', 5).results).toEqual([
      { task_id: 'order-1', field: 'title', snippet: 'Café crème order' },
    ])
  })

  it('returns newest first, at most `limit`, and says when it cut', () => {
    const { writes, search } = parts()
    writes.apply(
      Array.from({ length: 30 }, (_, i) =>
        ev(`k${String(i).padStart(2, '0')}`, { title: 'common word' }, t(i)),
      ),
    )
    const page = search('common', 10)
    expect(page.results.map((r) => r.task_id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `k${String(29 - i).padStart(2, '0')}`),
    )
    expect(page.truncated).toBe(true)
    expect(search('common', 30).truncated).toBe(false)
    expect(search('%%%', 10)).toEqual({ results: [], truncated: false })
  })

  it('finds every task by any word of its indexed text, or a prefix of it (property)', () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9]{2,9}$/)
    const sep = fc.constantFrom(' ', '.', '-', '_', '/', '\n', ': ', '=')
    const text = fc
      .array(fc.tuple(word, sep), { minLength: 1, maxLength: 8 })
      .map((parts) => parts.map(([w, s]) => w + s).join(''))
    const fields = fc.record(
      {
        title: text,
        output: text,
        error: text,
        assignee: word,
        project_id: word,
        description: text,
      },
      { requiredKeys: [] },
    )
    // One database for every run (opening and migrating one per run is most of the cost); each
    // run's tasks have their own id prefix, so earlier runs' tasks are only more hay.
    const { writes, search } = parts()
    let run = 0
    fc.assert(
      fc.property(
        fc.array(fields, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (specs, pickTask, pickWord, asPrefix) => {
          const prefix = `r${++run}`
          writes.apply(specs.map((f, i) => ev(`${prefix}-task-${i}`, f, t(i))))
          const i = pickTask % specs.length
          const words = Object.values(specs[i]!).flatMap((v) => v.match(/[a-z0-9]+/g) ?? [])
          words.push(prefix, 'task', String(i)) // the task id's own words
          let w = words[pickWord % words.length]!
          // A prefix needs three characters (fts-query.ts MIN_PREFIX_CHARS); shorter is whole.
          if (asPrefix && w.length > 4) w = w.slice(0, Math.ceil(w.length / 2))
          expect(search(w, 5000).results.map((r) => r.task_id)).toContain(`${prefix}-task-${i}`)
        },
      ),
      { numRuns: 150 },
    )
  }, 60_000) // a ceiling for a busy machine, not a speed assertion
})
