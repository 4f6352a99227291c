// The spool on a real directory: order, the size bound, the flush lock (and taking over a stale
// one), and a flush that stops at an unreachable target and drops what the server refuses.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { flushSpool, LOCK_STALE_MS, openSpool, type SendResult, type SpooledUpdate } from './spool'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const tempSpool = (max?: number) => {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-spool-'))
  dirs.push(dir)
  const warnings: string[] = []
  return { spool: openSpool({ dir, maxEntries: max, warn: (m) => warnings.push(m) }), warnings, dir }
}
const update = (i: number, at = 1_800_000_000_000 + i): SpooledUpdate => ({
  task_id: `t${i % 3}`,
  event_id: `e${i}`,
  updated_at: new Date(at).toISOString(),
  fields: { output: `line ${i}` },
})

describe('spool', () => {
  it('lists entries in the order of their updates, whatever order they were appended in', () => {
    const { spool } = tempSpool()
    spool.append([update(2), update(0)])
    spool.append([update(1)])
    expect(spool.list().map((n) => spool.read(n)!.event_id)).toEqual(['e0', 'e1', 'e2'])
    expect(readdirSync(spool.dir).some((n) => n.startsWith('.tmp'))).toBe(false)
  })

  it('drops the oldest beyond its bound, with a warning', () => {
    const { spool, warnings } = tempSpool(5)
    spool.append(Array.from({ length: 8 }, (_, i) => update(i)))
    expect(spool.list().map((n) => spool.read(n)!.event_id)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7'])
    expect(warnings.join('\n')).toMatch(/dropped the 3 oldest/)
  })

  it('drops an unreadable entry with a warning instead of stalling on it', () => {
    const { spool, warnings, dir } = tempSpool()
    writeFileSync(join(dir, '000000000000001-0000001-000001.json'), '{not json')
    expect(spool.read('000000000000001-0000001-000001.json')).toBeNull()
    expect(spool.list()).toEqual([])
    expect(warnings).toHaveLength(1)
  })

  it('moves a directory named like an entry aside once; a flush past it ends', async () => {
    const { spool, warnings, dir } = tempSpool()
    const name = '000000000000005-0000001-000001.json'
    mkdirSync(join(dir, name))
    spool.append([update(1)])
    const lock = spool.tryLock()!
    const sent: string[] = []
    // Before the fix, read() failed to unlink the directory, the next pass listed it again: a loop.
    const outcome = await flushSpool(
      spool,
      (u) => (sent.push(u.event_id), Promise.resolve({ result: 'ok' })),
      Number.POSITIVE_INFINITY,
      lock,
      (m) => warnings.push(m),
    )
    lock.release()
    expect(outcome).toEqual({ sent: 1, dropped: 0, left: 0 })
    expect(sent).toEqual(['e1'])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/moved an unreadable spool entry .* aside/)
    expect(readdirSync(dir)).toContain(`unreadable-${name}`)
    expect(spool.list()).toEqual([])
  })

  it('drops, once each, entries that parse but are not an update a hook could make', () => {
    const { spool, warnings, dir } = tempSpool()
    const at = new Date().toISOString()
    const bad = [
      { task_id: 't', event_id: 'e', updated_at: at, fields: null },
      { task_id: 't', event_id: 'e', updated_at: at, fields: {} },
      { task_id: 't', event_id: 'e', updated_at: at, fields: { nonsense: 1 } },
      { task_id: 't', event_id: 'e', updated_at: at, fields: { task_id: 'other' } },
      { task_id: 't', event_id: 'e', updated_at: at, fields: { status: 'exploded' } },
      { task_id: 't', event_id: 'e', updated_at: 'soon', fields: { status: 'running' } },
      { task_id: '', event_id: 'e', updated_at: at, fields: { status: 'running' } },
      { task_id: 't', updated_at: at, fields: { status: 'running' } },
      [1, 2],
      null,
    ]
    bad.forEach((b, i) =>
      writeFileSync(join(dir, `${String(i + 1).padStart(15, '0')}-0000001-000001.json`), JSON.stringify(b)),
    )
    for (const n of spool.list()) expect(spool.read(n), n).toBeNull()
    expect(spool.list()).toEqual([])
    expect(warnings).toHaveLength(bad.length)
    for (const w of warnings) expect(w).toMatch(/^dropped an invalid spool entry/)
  })

  it('records why a delivery stopped in last-error, and clears it', () => {
    const { spool, dir } = tempSpool()
    expect(spool.lastError()).toBeNull()
    spool.noteError('the server refused the token (HTTP 401)')
    expect(spool.lastError()).toMatch(/^\S+ the server refused the token \(HTTP 401\)$/)
    expect(existsSync(join(dir, 'last-error'))).toBe(true)
    spool.noteError(null)
    expect(spool.lastError()).toBeNull()
  })

  it('gives the flush lock to one holder at a time, and takes over a stale one', () => {
    const { spool, dir } = tempSpool()
    const a = spool.tryLock()
    expect(a).not.toBeNull()
    expect(spool.tryLock()).toBeNull()
    a!.release()
    const b = spool.tryLock()
    expect(b).not.toBeNull()
    // b's process "died": its lock ages past the stale limit.
    const old = new Date(Date.now() - LOCK_STALE_MS - 1000)
    utimesSync(join(dir, 'flush.lock'), old, old)
    const c = spool.tryLock()
    expect(c).not.toBeNull()
    b!.release() // not b's any more: must not remove c's lock
    expect(spool.tryLock()).toBeNull()
    c!.release()
  })

  it('takes over at once a fresh lock whose process is gone (a hook killed mid-send), not a live one', () => {
    const { spool, dir } = tempSpool()
    const lockPath = join(dir, 'flush.lock')
    spool.tryLock() // makes the directory
    rmSync(lockPath)
    // A process that has exited and been reaped: its pid names nobody now.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid
    expect(gone).toBeGreaterThan(0)
    writeFileSync(lockPath, `${gone}:abc`)
    const taken = spool.tryLock()
    expect(taken).not.toBeNull()
    taken!.release()
    expect(existsSync(lockPath)).toBe(false)
    // A live holder (this test's parent process) keeps its fresh lock.
    writeFileSync(lockPath, `${process.ppid}:abc`)
    expect(spool.tryLock()).toBeNull()
  })

  it('flushes in order, stops at an unreachable target, drops refused updates', async () => {
    const { spool, warnings } = tempSpool()
    spool.append(Array.from({ length: 6 }, (_, i) => update(i)))
    const sent: string[] = []
    const answers: Record<string, SendResult> = { e2: 'rejected', e4: 'unreachable' }
    const lock = spool.tryLock()!
    const outcome = await flushSpool(
      spool,
      (u) => {
        const result = answers[u.event_id] ?? 'ok'
        if (result === 'ok') sent.push(u.event_id)
        return Promise.resolve({ result, detail: 'HTTP 400: bad' })
      },
      Number.POSITIVE_INFINITY,
      lock,
      (m) => warnings.push(m),
    )
    lock.release()
    expect(sent).toEqual(['e0', 'e1', 'e3'])
    expect(outcome).toEqual({ sent: 3, dropped: 1, left: 2, stoppedBy: 'HTTP 400: bad' })
    expect(spool.list().map((n) => spool.read(n)!.event_id)).toEqual(['e4', 'e5'])
    expect(warnings.join('\n')).toMatch(/refused .* task t2 .*HTTP 400/)
  })
})
