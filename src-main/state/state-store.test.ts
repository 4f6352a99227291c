// state.json through its zod schema: a good file comes back as written, a bad one is kept aside
// and the app starts fresh, a damaged tray section costs only the tray; writes are coalesced.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { manualClock } from '../../test/fakes/main/fixtures'
import { emptyNotifierState } from '../notifications/notifier'
import { createStateStore, STATE_WRITE_INTERVAL_MS, type PersistedState } from './state-store'

let dir: string
let path: string
const warnings: object[] = []
const log = { info() {}, warn: (o: object) => void warnings.push(o), error() {} }
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskpulse-state-'))
  path = join(dir, 'state.json')
  warnings.length = 0
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const sample: PersistedState = {
  notifier: {
    cursor: { epoch: 'E', seq: 7 },
    seen: ['ev-1', 'ev-2'],
    lastOutcome: { t1: 'failed' },
    staleNotified: {},
  },
  tray: {
    open: { t1: { status: 'failed', label: 'Build' } },
    unacknowledged: ['t1'],
    recent: [{ taskId: 't1', label: 'Build', status: 'failed' }],
  },
}

describe('state store', () => {
  it('starts fresh without a file, and reads back what it wrote (compact, one line)', () => {
    const clock = manualClock()
    const first = createStateStore({ path, log, now: clock.now, setTimer: clock.setTimer })
    expect(first.initial).toEqual({ notifier: emptyNotifierState(), tray: null })
    first.setSource(() => sample)
    first.stop()
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1)
    expect(createStateStore({ path, log }).initial).toEqual(sample)
  })

  it.each([
    ['not JSON', '{ "notifier": '],
    ['wrong shape', JSON.stringify({ notifier: { seen: 'ev-1', lastOutcome: {} } })],
    ['an outcome that does not exist', JSON.stringify({ notifier: { seen: [], lastOutcome: { t: 'x' } } })],
  ])('a file with %s is kept aside; the app starts fresh', (_what, text) => {
    writeFileSync(path, text)
    const store = createStateStore({ path, log })
    expect(store.initial).toEqual({ notifier: emptyNotifierState(), tray: null })
    expect(existsSync(path)).toBe(false)
    expect(readdirSync(dir).filter((f) => f.startsWith('state.json.corrupt-'))).toHaveLength(1)
    expect(warnings).toHaveLength(1)
  })

  it('a damaged tray section costs the tray only, not the notifier cursor', () => {
    writeFileSync(path, JSON.stringify({ notifier: sample.notifier, tray: { open: 'x' } }))
    const store = createStateStore({ path, log })
    expect(store.initial).toEqual({ notifier: sample.notifier, tray: null })
  })

  it('writes at most once per interval, and once more on stop; nothing after stop', () => {
    const clock = manualClock()
    const store = createStateStore({ path, log, now: clock.now, setTimer: clock.setTimer })
    let reads = 0
    store.setSource(() => {
      reads += 1
      return sample
    })
    for (let i = 0; i < 100; i += 1) store.schedule()
    expect(existsSync(path)).toBe(false)
    clock.advance(STATE_WRITE_INTERVAL_MS)
    expect(reads).toBe(1)
    store.stop()
    store.schedule()
    clock.advance(STATE_WRITE_INTERVAL_MS)
    expect(reads).toBe(2)
    expect(clock.pending()).toBe(0)
  })
})
