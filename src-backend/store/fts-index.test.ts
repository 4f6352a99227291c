// The index's window of a long text, computed in SQL (what the index holds) and in JS (where search
// looks for the snippet), must be the same text, or a snippet could show a place the index never
// matched. SQL counts characters as code points; JS strings are UTF-16.
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { FTS_HEAD_CHARS, FTS_TAIL_CHARS, FTS_WHOLE_CHARS, indexedText, indexedTextSql } from './fts-index'

const db = new Database(':memory:')
afterAll(() => db.close())
const windowInSql = db.prepare<[string | null], { w: string | null }>(
  `SELECT ${indexedTextSql('t', 'output')} AS w FROM (SELECT ? AS output) AS t`,
)

describe('indexed text of a long field', () => {
  it('is the head and tail in SQL and JS alike, for any text (astral characters included)', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.constantFrom('😀', 'é', '\n', 'x'.repeat(3000), '😀'.repeat(2000)),
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const value = pieces.join('')
        expect(indexedText('output', value)).toBe(windowInSql.get(value)!.w)
      }),
      { numRuns: 200 },
    )
  })

  it('keeps short texts and identifiers whole, and cuts long ones to head + newline + tail', () => {
    expect(windowInSql.get(null)!.w).toBeNull()
    const whole = 'y'.repeat(FTS_WHOLE_CHARS)
    expect(indexedText('output', whole)).toBe(whole)
    const long = `${'h'.repeat(FTS_HEAD_CHARS)}${'m'.repeat(10)}${'t'.repeat(FTS_TAIL_CHARS)}`
    expect(indexedText('error', long)).toBe(`${'h'.repeat(FTS_HEAD_CHARS)}\n${'t'.repeat(FTS_TAIL_CHARS)}`)
    expect(indexedText('assignee', long)).toBe(long)
  })
})
