// The checkpoint worker's life: a worker that dies is started again (real worker threads on a real
// SQLite file); how its checkpoints keep the WAL small is task-database.test.ts.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { WAL_WORKER_SOURCE, startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer'

const dirs: string[] = []
const checkpointers: WalCheckpointer[] = []
afterEach(async () => {
  for (const c of checkpointers.splice(0)) await c.stop()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function walDatabase(): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-wal-'))
  dirs.push(dir)
  const file = join(dir, 'db.sqlite')
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.close()
  return file
}

/** Runs a checkpointer whose first worker (attempt 0) runs `firstWorker` before the real script. */
function start(firstWorker: string) {
  const running: boolean[] = []
  const errors: string[] = []
  const checkpointer = startWalCheckpointer({
    file: walDatabase(),
    onRunning: (r) => void running.push(r),
    onError: (err) => void errors.push(err.message),
    restartMs: 50,
    restartMaxMs: 100,
    workerSource: `if (require('node:worker_threads').workerData.attempt === 0) { ${firstWorker} }\n${WAL_WORKER_SOURCE}`,
  })
  checkpointers.push(checkpointer)
  return { checkpointer, running, errors }
}

describe('WAL checkpoint worker', () => {
  it('one that dies before it runs is started again', async () => {
    const { running, errors } = start('process.exit(3)')
    await expect.poll(() => running, { timeout: 20_000 }).toEqual([false, true])
    expect(errors).toEqual([
      expect.stringMatching(/^wal checkpoint worker exited; starting it again in \d+ ms$/),
    ])
  })

  it('one that dies while running is started again: running, not running, running', async () => {
    const { running } = start(
      "require('node:worker_threads').parentPort.postMessage({ ready: true }); setTimeout(() => process.exit(3), 100)",
    )
    // The first worker says ready itself, and again from the real script below it.
    await expect
      .poll(() => running.at(-1) === true && running.includes(false), { timeout: 20_000 })
      .toBe(true)
    expect(running.slice(running.indexOf(false))).toEqual([false, true])
  })

  it('stop ends the worker and any restart still due', async () => {
    const { checkpointer, running } = start('process.exit(3)')
    await expect.poll(() => running, { timeout: 20_000 }).toEqual([false, true])
    await checkpointer.stop()
    await checkpointer.stop()
    await new Promise((r) => setTimeout(r, 300))
    expect(running).toEqual([false, true])
  })
})
