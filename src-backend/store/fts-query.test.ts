// The query builder against hostile input, checked twice: the expression it builds, and what a
// real FTS5 index does with it (no syntax error, no operator, no column filter gets through).
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { MAX_QUERY_WORDS, toFtsQuery } from './fts-query'

const db = new Database(':memory:')
db.exec(`CREATE VIRTUAL TABLE f USING fts5(title, output, tokenize = 'unicode61 remove_diacritics 2')`)
const rows = [
  'java.lang.OutOfMemoryError: Java heap space',
  'NEAR the end',
  'output: a column name in text',
  'quote " inside',
  'deploy ^ caret * star',
  'nightly-etl finished',
  'Überprüfung läuft 🚀 done',
]
const insert = db.prepare('INSERT INTO f (title, output) VALUES (?, ?)')
rows.forEach((r, i) => insert.run(`row ${i}`, r))
afterAll(() => db.close())

/** rowids (0-based row index) that `text` finds; throws if FTS5 rejects the expression. */
function find(text: string): number[] {
  const q = toFtsQuery(text)
  if (q === null) return []
  return (db.prepare('SELECT rowid FROM f WHERE f MATCH ? ORDER BY rowid').all(q) as { rowid: number }[]).map(
    (r) => r.rowid - 1,
  )
}

describe('toFtsQuery', () => {
  it('quotes each word and makes it a prefix', () => {
    expect(toFtsQuery('OutOfMemory heap')).toBe('"OutOfMemory"* "heap"*')
    expect(toFtsQuery('say "hi" there')).toBe('"say"* """hi""" "there"*')
  })

  it('matches a last token of one or two characters whole, not as a prefix', () => {
    // `1*` would expand to every number in every log (docs/benchmarks.md "Search").
    expect(toFtsQuery('codex-runner-1 task-12 task-123')).toBe('"codex-runner-1" "task-12" "task-123"*')
    expect(toFtsQuery('é 🚀x')).toBe('"é" "🚀x"')
    expect(find('nightly-e')).toEqual([])
    expect(find('nightly-et')).toEqual([])
    expect(find('nightly-etl')).toEqual([5])
    expect(find('row 1')).toEqual([1])
  })

  it('finds a word inside a dotted identifier by its prefix', () => {
    expect(find('OutOfMemory')).toEqual([0])
    expect(find('java.lang.OutOfMem')).toEqual([0])
    expect(find('nightly-etl')).toEqual([5])
  })

  it('returns null (match nothing) for input with no word', () => {
    for (const text of ['', '   ', '%', '"', '***', '^', '()', ':', '-', '🚀', '"" ** ^^ : ()'])
      expect(toFtsQuery(text), JSON.stringify(text)).toBeNull()
  })

  it('takes FTS5 operators and syntax as plain words', () => {
    // NEAR/AND/OR/NOT are words to find, not operators: only the row with the word "NEAR" matches.
    expect(find('NEAR')).toEqual([1])
    expect(find('NEAR(java heap)')).toEqual([])
    expect(find('java OR nightly')).toEqual([]) // both words and "or" would have to be there
    expect(find('java NOT heap')).toEqual([])
    // A column filter is text: `output:` finds the row that has the words output and column…
    expect(find('output: column')).toEqual([2])
    // …and does not restrict the search to a column (title holds "row N", not "java").
    expect(find('title: java')).toEqual([])
    expect(find('{title} : java')).toEqual([])
    expect(find('^java')).toEqual([0])
    expect(find('deploy*')).toEqual([4])
    expect(find('quote "')).toEqual([3])
    expect(find('"quote inside"')).toEqual([3])
    expect(find('"unbalanced')).toEqual([])
  })

  it('handles emoji, accents and very long input', () => {
    expect(find('überprüf')).toEqual([6]) // remove_diacritics folds both sides
    expect(find('🚀 done')).toEqual([6])
    const long = 'x'.repeat(10_000)
    expect(toFtsQuery(long)!.length).toBeLessThan(200)
    expect(find(long)).toEqual([])
    const many = Array.from({ length: 5000 }, (_, i) => `w${i}`).join(' ')
    expect(toFtsQuery(many)!.split(' ')).toHaveLength(MAX_QUERY_WORDS)
    expect(find('🚀'.repeat(5000))).toEqual([])
    expect(find(`${'é'.repeat(3000)}🚀${'"'.repeat(3000)}`)).toEqual([])
  })

  it('takes NUL as a separator (SQLite reads the expression as a C string) and drops repeated words', () => {
    expect(toFtsQuery('hel\0lo')).toBe('"hel"* "lo"') // "lo": two characters, a whole token
    expect(toFtsQuery('\0')).toBeNull()
    expect(find('java\0heap')).toEqual([0])
    expect(toFtsQuery('java java JAVA java')).toBe('"java"* "JAVA"*')
  })

  it('never yields an expression FTS5 rejects, for any string', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ unit: 'grapheme', maxLength: 100 }),
          // Control characters and NUL too (a NUL once ended the expression inside a quoted word).
          fc.string({ unit: 'binary', maxLength: 100 }),
          fc
            .array(
              fc.constantFrom(
                '"',
                '*',
                '^',
                ':',
                '(',
                ')',
                'NEAR',
                'AND',
                'OR',
                'NOT',
                '{',
                '}',
                '-',
                '+',
                ' ',
                'a',
                'é',
                '🚀',
              ),
              { maxLength: 40 },
            )
            .map((a) => a.join('')),
        ),
        (text) => {
          expect(() => find(text)).not.toThrow()
        },
      ),
      { numRuns: 500 },
    )
  })
})
