// The stream reader's pure parts: XREAD and XINFO STREAM replies, stream id order, and the verdict
// on a stored cursor. The reading itself is covered against a real redis-server in
// test/integration/redis-stream-reader.test.ts.
import { describe, expect, it } from 'vitest'
import {
  assessStreamCursor,
  compareStreamIds,
  parseStreamInfo,
  xreadReplyToMessages,
  type StreamInfo,
} from './stream-cursor'

describe('xreadReplyToMessages', () => {
  it('takes the data field of each entry of our stream, null when absent', () => {
    const reply = [
      [
        's',
        [
          ['1-0', ['data', '{"a":1}', 'x', 'y']],
          ['1-1', ['x', 'data']],
          ['2-0', ['other', '1', 'data', 'z']],
        ],
      ],
      ['someone-else', [['9-0', ['data', 'ignored']]]],
    ]
    expect(xreadReplyToMessages(reply, 's')).toEqual([
      { source: 'stream', payload: '{"a":1}', streamId: '1-0' },
      { source: 'stream', payload: null, streamId: '1-1' },
      { source: 'stream', payload: 'z', streamId: '2-0' },
    ])
  })

  it('gives nothing for a timed-out read or a malformed reply', () => {
    expect(xreadReplyToMessages(null, 's')).toEqual([])
    expect(xreadReplyToMessages('junk', 's')).toEqual([])
    expect(xreadReplyToMessages([['s', 'junk']], 's')).toEqual([])
  })
})

describe('compareStreamIds', () => {
  it('orders by milliseconds, then sequence, numerically', () => {
    expect(compareStreamIds('9-0', '10-0')).toBe(-1)
    expect(compareStreamIds('10-2', '10-10')).toBe(-1)
    expect(compareStreamIds('10-2', '10-2')).toBe(0)
    expect(compareStreamIds('1795460581829-2', '1795460581820-7')).toBe(1)
    expect(compareStreamIds('5', '5-0')).toBe(0)
  })
})

describe('parseStreamInfo', () => {
  it('reads the fields of an XINFO STREAM reply (Redis 7 and older)', () => {
    const reply = [
      'length',
      2,
      'radix-tree-keys',
      1,
      'last-generated-id',
      '10-1',
      'max-deleted-entry-id',
      '3-0',
      'entries-added',
      5,
      'recorded-first-entry-id',
      '9-0',
      'first-entry',
      ['9-0', ['data', 'x']],
      'last-entry',
      ['10-1', ['data', 'y']],
    ]
    expect(parseStreamInfo(reply)).toEqual({
      length: 2,
      lastGeneratedId: '10-1',
      firstEntryId: '9-0',
      maxDeletedId: '3-0',
      entriesAdded: 5,
    })
    expect(parseStreamInfo(['length', 0, 'last-generated-id', '0-0', 'first-entry', null])).toEqual({
      length: 0,
      lastGeneratedId: '0-0',
      firstEntryId: null,
      maxDeletedId: null,
      entriesAdded: null,
    })
    expect(parseStreamInfo('junk')).toBeNull()
  })
})

describe('assessStreamCursor', () => {
  const info = (over: Partial<StreamInfo>): StreamInfo => ({
    length: 0,
    lastGeneratedId: '0-0',
    firstEntryId: null,
    maxDeletedId: '0-0',
    entriesAdded: 0,
    ...over,
  })
  it('leaves a cursor inside an intact stream, and a new database, alone', () => {
    const intact = info({ length: 3, lastGeneratedId: '30-0', firstEntryId: '10-0', entriesAdded: 3 })
    expect(assessStreamCursor('20-0', intact).kind).toBe('ok')
    expect(assessStreamCursor('0', info({})).kind).toBe('ok')
    // XTRIM MAXLEN 0 after everything was read.
    expect(assessStreamCursor('30-0', info({ lastGeneratedId: '30-0', entriesAdded: 3 })).kind).toBe('ok')
  })
  it('reads from the start of a stream that is gone, reset or recreated, and stores that', () => {
    expect(assessStreamCursor('20-0', null)).toMatchObject({ kind: 'missing', readFrom: '0', persist: '0' })
    // DEL or FLUSHALL, then new entries below a far-future cursor.
    expect(
      assessStreamCursor(
        '99999999999999-0',
        info({ length: 2, lastGeneratedId: '50-1', firstEntryId: '50-0', entriesAdded: 2 }),
      ),
    ).toMatchObject({ kind: 'reset', readFrom: '0', persist: '0', streamLength: 2 })
    // DEL, then new entries above the cursor: nothing was ever removed, so the cursor never was in it.
    expect(
      assessStreamCursor(
        '20-0',
        info({ length: 2, lastGeneratedId: '50-1', firstEntryId: '50-0', entriesAdded: 2 }),
      ),
    ).toMatchObject({ kind: 'recreated', readFrom: '0', persist: '0' })
  })
  it('goes on past a range trimmed before it was read, and says what was lost', () => {
    // XTRIM MAXLEN 0 over unread entries (Redis 7.0 leaves max-deleted-entry-id at 0-0 for trims).
    expect(assessStreamCursor('20-0', info({ lastGeneratedId: '40-0', entriesAdded: 4 }))).toMatchObject({
      kind: 'trimmed',
      readFrom: '40-0',
      persist: '40-0',
      lostAfter: '20-0',
      lostThrough: '40-0',
      lostAtMost: 4,
    })
    // MAXLEN trimmed past the cursor, later entries remain: they are read from the cursor on.
    expect(
      assessStreamCursor(
        '20-0',
        info({ length: 1, lastGeneratedId: '50-0', firstEntryId: '50-0', entriesAdded: 5 }),
      ),
    ).toMatchObject({ kind: 'trimmed', readFrom: '20-0', lostBefore: '50-0', lostAtMost: 4 })
    // Redis < 7 (no entries-added): a first entry past the cursor is reported as trimmed.
    expect(
      assessStreamCursor(
        '20-0',
        info({ length: 1, lastGeneratedId: '50-0', firstEntryId: '50-0', entriesAdded: null }),
      ),
    ).toMatchObject({ kind: 'trimmed', readFrom: '20-0' })
  })
})
