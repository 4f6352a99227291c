// Faults an unlucky operator meets, against the real built server and real SQLite files: a second
// server on a data dir in use, a server SIGKILLed and restarted at once, a database with a damaged
// page, a zero-byte database, a data dir under /proc, and a disk that fills up and is freed again.
// Every refusal is a non-zero exit with a message naming the file or dir, never a hang.
import { spawn, spawnSync } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import type { Task } from '../../src-shared/protocol'
import { REPO_ROOT, startBackend, tempDir, waitFor, type Backend } from '../helpers/backend-process'
import { allTasks, cleanupStack, getJson, health, putTask } from '../integration/resilience-helpers'
import { recordFigure } from './probes'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

const BIN = join(REPO_ROOT, 'bin', 'taskpulse.js')

interface Exited {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

/**
 * Runs `taskpulse serve` expecting it to refuse to start. A server that starts after all is
 * killed and reported (its ready line in stdout); one that hangs fails at the ceiling.
 */
async function serveExpectingExit(dataDir: string, ceilingMs = 60_000): Promise<Exited> {
  const t0 = performance.now()
  const proc = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--token',
      'fault-token-1234',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise<Exited>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(
        new Error(
          `serve on ${dataDir} neither exited nor started within ${ceilingMs} ms; stderr:\n${stderr}`,
        ),
      )
    }, ceilingMs)
    proc.stdout.on('data', () => {
      if (stdout.includes('"listening"')) proc.kill('SIGKILL') // started: the exit below reports it
    })
    proc.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 })
    })
  })
}

/** Fills a data dir's database with `tasks` tasks through the real server, then stops it cleanly. */
async function databaseWithTasks(dataDir: string, tasks: number): Promise<string> {
  const backend = await startBackend({ dataDir })
  try {
    const output = 'x'.repeat(2000)
    for (let i = 0; i < tasks; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, tasks - i) }, async (_, j) => {
          const res = await putTask(backend, `row-${i + j}`, { status: 'running', output })
          if (res.status !== 201) throw new Error(`seed PUT answered ${res.status}`)
        }),
      )
    }
  } finally {
    expect(await backend.stop('SIGTERM')).toBe(0)
  }
  return join(dataDir, 'taskpulse.sqlite')
}

describe('one server per data dir', () => {
  it('a second server exits non-zero naming the dir and the holder pid; the first keeps serving', async () => {
    const dataDir = cleanup.dir(tempDir())
    const first = cleanup.backend(await startBackend({ dataDir }))
    expect((await putTask(first, 'held', { status: 'running' })).status).toBe(201)

    const second = await serveExpectingExit(dataDir)
    expect(second.stdout).not.toContain('listening')
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(dataDir)
    expect(second.stderr).toContain(`pid ${first.proc.pid}`)
    recordFigure('process-faults', { case: 'second server refused', exitMs: Math.round(second.ms) })

    // The first one was not disturbed: it still writes (the old bug: 503 forever on one of them).
    expect((await putTask(first, 'held', { status: 'completed' })).status).toBe(200)
    expect((await health(first)).status).toBe('ok')
  })

  it('after the holder is SIGKILLed, a server started at once takes the data dir over', async () => {
    const dataDir = cleanup.dir(tempDir())
    for (let round = 0; round < 3; round++) {
      const backend = cleanup.backend(await startBackend({ dataDir }))
      expect((await putTask(backend, `kill-${round}`, { status: 'running' })).status).toBe(201)
      // The pid file names it (a second server's message comes from there).
      expect(JSON.parse(readFileSync(join(dataDir, 'taskpulse.pid'), 'utf8'))).toMatchObject({
        pid: backend.proc.pid,
      })
      expect(await backend.stop('SIGKILL')).toBeNull()
    }
    // A stale pid file of a dead process is left behind by SIGKILL; it must not matter.
    const last = cleanup.backend(await startBackend({ dataDir }))
    const ids = (await allTasks(last)).map((t) => t.task_id).sort()
    expect(ids).toEqual(['kill-0', 'kill-1', 'kill-2'])
  })

  it('a stale pid file naming a live unrelated process does not block a start', async () => {
    const dataDir = cleanup.dir(tempDir())
    // pid 1 is alive and is not a TaskPulse server: only the kernel lock decides.
    writeFileSync(join(dataDir, 'taskpulse.pid'), JSON.stringify({ pid: 1, started_at: '2020-01-01' }))
    const backend = cleanup.backend(await startBackend({ dataDir }))
    expect((await health(backend)).status).toBe('ok')
  })
})

describe('damaged storage is refused at start with a clear error', () => {
  it('a page of garbage in the middle of a database with many rows: exit 1, names the file, no hang', async () => {
    const dataDir = cleanup.dir(tempDir())
    const file = await databaseWithTasks(dataDir, 400)
    // Everything in the main file first: a page whose newer copy is still in the -wal is read from
    // there, and garbage written under it would go unseen (by SQLite, rightly, and by this test).
    const db = new Database(file)
    db.pragma('wal_checkpoint(TRUNCATE)')
    // A page the tasks table uses, from the middle of those (dbstat numbers pages from 1).
    const leaves = db
      .prepare("SELECT pageno FROM dbstat WHERE name = 'tasks' AND pagetype = 'leaf' ORDER BY pageno")
      .all() as { pageno: number }[]
    db.close() // the last connection: the -wal is removed
    expect(existsSync(`${file}-wal`)).toBe(false)
    expect(leaves.length).toBeGreaterThan(20)
    const size = statSync(file).size
    const header = readFileSync(file).subarray(0, 100)
    const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16)
    const pages = size / pageSize
    expect(pages).toBeGreaterThan(50) // many rows: the damage is far from the header
    const victim = leaves[Math.floor(leaves.length / 2)]!.pageno - 1
    const fd = openSync(file, 'r+')
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, victim * pageSize)
    closeSync(fd)

    const run = await serveExpectingExit(dataDir)
    expect(run.stdout).not.toContain('listening')
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(file)
    expect(run.stderr).toMatch(/damaged/)
    expect(run.stderr).toMatch(/\.recover|backup/)
    recordFigure('process-faults', {
      case: 'corrupt page refused',
      pages,
      victim,
      exitMs: Math.round(run.ms),
    })
  })

  it('a zero-byte database file is refused as suspicious and left as it was', async () => {
    const dataDir = cleanup.dir(tempDir())
    const file = join(dataDir, 'taskpulse.sqlite')
    writeFileSync(file, '')
    const run = await serveExpectingExit(dataDir)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(file)
    expect(run.stderr).toMatch(/empty \(0 bytes\)/)
    expect(statSync(file).size).toBe(0)
  })

  it('a file that is not a database is refused, naming it', async () => {
    const dataDir = cleanup.dir(tempDir())
    const file = join(dataDir, 'taskpulse.sqlite')
    writeFileSync(file, 'this is not SQLite '.repeat(500))
    const run = await serveExpectingExit(dataDir)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(file)
  })

  it.each([
    ['/proc/taskpulse-data', 'under /proc (mkdir there says ENOENT forever)'],
    ['/proc/self', 'an existing procfs dir'],
    ['/sys/taskpulse-data', 'under /sys'],
    ['/dev/null/taskpulse', 'below a file'],
  ])('data dir %s (%s) fails fast, naming the path', async (dataDir) => {
    const run = await serveExpectingExit(dataDir)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(dataDir)
    recordFigure('process-faults', { case: `data dir ${dataDir}`, exitMs: Math.round(run.ms) })
  })
})

/** A small tmpfs at a fresh dir; unmounted by cleanup. Throws (never skips) when it cannot mount. */
function mountSmallTmpfs(sizeKb: number): string {
  const dir = tempDir('taskpulse-fulldisk-')
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], {
    encoding: 'utf8',
  })
  if (mount.status !== 0)
    throw new Error(
      `cannot mount a tmpfs for the full-disk test (needs root): ${mount.stderr || mount.error}`,
    )
  cleanup.dir(dir)
  cleanup.add(() => spawnSync('umount', ['-l', dir]))
  return dir
}

function availableBytes(dir: string): number {
  const out = spawnSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).stdout
  return Number(out.trim().split('\n').at(-1))
}

describe('full disk', () => {
  it('writes fail with 503 naming the cause while full, the server stays up, recovers when space is freed, and loses nothing acknowledged', async () => {
    const mount = mountSmallTmpfs(8192)
    const dataDir = join(mount, 'data')
    mkdirSync(dataDir)
    let backend: Backend = await startBackend({ dataDir })
    cleanup.add(() => backend.stop('SIGKILL'))
    const acked = new Map<string, string>() // task id -> output of the last 2xx
    const output = (id: string) => `${id}:` + 'o'.repeat(30_000)
    const put = async (id: string) => {
      const res = await putTask(backend, id, { status: 'running', output: output(id) })
      if (res.status === 200 || res.status === 201) acked.set(id, output(id))
      return res
    }
    for (let i = 0; i < 5; i++) expect((await put(`before-${i}`)).status).toBe(201)

    // Leave about 600 KiB: enough to start, not enough for what follows.
    const filler = join(mount, 'filler')
    writeFileSync(filler, Buffer.alloc(Math.max(0, availableBytes(mount) - 600 * 1024)))
    const refusals: unknown[] = []
    for (let i = 0; refusals.length < 5 && i < 500; i++) {
      const res = await put(`while-full-${i}`)
      if (res.status === 503) refusals.push(res.body)
      else expect([200, 201]).toContain(res.status)
    }
    expect(refusals.length, 'the disk filled up').toBe(5)
    expect(refusals[0]).toMatchObject({
      error: { code: 'storage_failed', message: expect.stringMatching(/disk is full/) as unknown },
    })
    expect(backend.stderr()).toContain(join(dataDir, 'taskpulse.sqlite'))
    expect(backend.stderr()).toMatch(/disk is full/)
    // Still up, still reading, and health says writes are failing and why.
    expect(await health(backend)).toMatchObject({
      status: 'ok',
      storage: 'failing',
      storage_error: expect.stringMatching(/disk is full/) as unknown,
    })
    expect((await allTasks(backend)).length).toBeGreaterThanOrEqual(5)

    // Space is freed: writes succeed again without a restart.
    spawnSync('rm', ['-f', filler])
    await waitFor(
      async () => (await put('after-free-probe')).status === 201,
      'a write after space was freed',
      30_000,
    )
    for (let i = 0; i < 10; i++) expect([200, 201]).toContain((await put(`after-free-${i}`)).status)
    expect(await health(backend)).toMatchObject({ storage: 'ok' })

    const verify = async (b: Backend, when: string) => {
      const stored = new Map((await allTasks(b)).map((t) => [t.task_id, t]))
      const lost = [...acked.keys()].filter((id) => !stored.has(id))
      expect(lost, `acknowledged tasks lost ${when}`).toEqual([])
      for (const [id, out] of acked) {
        const task = await getJson<Task>(b, `/api/tasks/${encodeURIComponent(id)}`)
        expect(task.output, `output of ${id} ${when}`).toBe(out)
      }
    }
    await verify(backend, 'after recovery')
    recordFigure('process-faults', { case: 'full disk', acknowledged: acked.size, refused: refusals.length })

    expect(await backend.stop('SIGTERM')).toBe(0)
    backend = await startBackend({ dataDir })
    await verify(backend, 'after a restart')
  })
})
