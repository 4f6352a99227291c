// Issue 11 "Must hold — exec", with real processes: `taskpulse exec` (the built entry) wrapping
// real commands, reporting to the real built server on a real Redis. Exit status, byte-exact
// pass-through, both tails on a failure, SIGTERM reaching the child, heartbeats, and a server that
// is down changing neither the output nor the exit code (the updates wait in the spool).
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventList, Task } from '../../src-shared/protocol'
import { BIN, cliEnv, runCli } from '../helpers/agent-cli'
import { REPO_ROOT, startBackend, tempDir, waitFor, type Backend } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import { cleanupStack } from './resilience-helpers'

const cleanup = cleanupStack()
let redis: RedisServer
let backend: Backend

beforeAll(async () => {
  redis = await startRedis()
  cleanup.add(() => redis.close())
  backend = cleanup.backend(await startBackend({ redisUrl: redis.url }))
})
afterAll(() => cleanup.run())

const execEnv = (extra: NodeJS.ProcessEnv = {}) =>
  cliEnv({
    TASKPULSE_SERVER: backend.url,
    TASKPULSE_TOKEN: backend.token,
    TASKPULSE_STATE_DIR: cleanup.dir(tempDir('taskpulse-state-')),
    ...extra,
  })

async function task(id: string): Promise<Task | null> {
  const res = await backend.api(`/api/tasks/${encodeURIComponent(id)}`)
  return res.status === 200 ? ((await res.json()) as Task) : null
}
/**
 * The task once it has finished. The wrapper delivers its last update before it exits, unless the
 * server is too slow to answer in time (a starved machine): then it arrives from the spool.
 */
async function finished(id: string): Promise<Task> {
  return waitFor(
    async () => {
      const t = await task(id)
      return t && (t.status === 'completed' || t.status === 'failed') ? t : null
    },
    `task ${id} to finish`,
    30_000,
  )
}
async function events(id: string): Promise<EventList['events']> {
  const res = await backend.api(`/api/tasks/${encodeURIComponent(id)}/events?limit=1000`)
  return ((await res.json()) as EventList).events
}

describe('taskpulse exec', () => {
  it("exec -- sh -c 'echo out; echo err >&2; exit 3' exits 3; the task is failed with both tails", async () => {
    const r = await runCli(
      ['exec', '--task', 'exec-fail', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'],
      {
        env: execEnv(),
      },
    )
    expect(r.code).toBe(3)
    expect(r.stdout.toString()).toBe('out\n')
    expect(r.stderr).toBe('err\n')
    const t = await finished('exec-fail')
    expect(t.status).toBe('failed')
    expect(t.output).toBe('out\n')
    expect(t.error).toBe('exit code 3\nerr\n')
    expect(t.title).toBe('sh -c echo out; echo err >&2; exit 3')
    expect(t.stale_after_seconds).toBe(90) // three default heartbeats
    expect((await events('exec-fail')).map((x) => x.fields.status).filter(Boolean)).toEqual([
      'running',
      'failed',
    ])
  })

  it('passes stdout and stderr through byte for byte, and completes on exit 0', async () => {
    // Every byte value, invalid UTF-8 included, on both streams.
    const script =
      'const b = Buffer.alloc(256); for (let i = 0; i < 256; i++) b[i] = i; process.stdout.write(b); process.stderr.write(b.reverse())'
    const r = await runCli(
      [
        'exec',
        '--task',
        'exec-bytes',
        '--project',
        'bytes',
        '--agent',
        'cron@box',
        '--schedule',
        'nightly',
        '--',
        process.execPath,
        '-e',
        script,
      ],
      { env: execEnv() },
    )
    const direct = spawnSync(process.execPath, ['-e', script])
    expect(r.code).toBe(0)
    expect(r.stdout.equals(direct.stdout)).toBe(true)
    expect(Buffer.from(r.stderr, 'latin1').length).toBeGreaterThan(0)
    const t = await finished('exec-bytes')
    expect(t).toMatchObject({
      status: 'completed',
      error: null,
      project_id: 'bytes',
      assignee: 'cron@box',
      schedule_id: 'nightly',
    })
  })

  it('stderr passes through unchanged too (compared as bytes)', async () => {
    const script = 'process.stderr.write(Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x0a]))'
    const direct = spawnSync(process.execPath, ['-e', script])
    const wrapped = spawnSync(process.execPath, [BIN, 'exec', '--', process.execPath, '-e', script], {
      env: execEnv(),
    })
    expect(wrapped.status).toBe(0)
    expect(wrapped.stderr.equals(direct.stderr)).toBe(true)
  })

  it('forwards SIGTERM to the command and exits with its status', async () => {
    const proc = spawn(
      process.execPath,
      [
        BIN,
        'exec',
        '--task',
        'exec-term',
        '--',
        'sh',
        '-c',
        'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.05; done',
      ],
      { env: execEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
    await waitFor(() => out.includes('ready'), 'the command to start', 30_000)
    proc.kill('SIGTERM')
    expect(await exited).toBe(7)
    expect(out).toBe('ready\ngot-term\n')
    expect((await finished('exec-term')).error).toMatch(/^exit code 7/)
  })

  it('a command killed by a signal exits 128 + its number, the error naming the signal', async () => {
    const r = await runCli(['exec', '--task', 'exec-killed', '--', 'sh', '-c', 'kill -TERM $$'], {
      env: execEnv(),
    })
    expect(r.code).toBe(143)
    expect(await finished('exec-killed')).toMatchObject({ status: 'failed', error: 'killed by SIGTERM' })
  })

  it('a command that does not exist exits 127 and fails the task', async () => {
    const r = await runCli(['exec', '--task', 'exec-missing', '--', 'no-such-command-xyz'], {
      env: execEnv(),
    })
    expect(r.code).toBe(127)
    expect(r.stderr).toMatch(/command not found/)
    expect((await finished('exec-missing')).status).toBe('failed')
  })

  it('heartbeats while the command runs (a short interval stands in for 30 s)', async () => {
    const r = await runCli(
      [
        'exec',
        '--task',
        'exec-beat',
        '--heartbeat',
        '0.2',
        '--',
        'sh',
        '-c',
        'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo tick $i; sleep 0.2; done',
      ],
      { env: execEnv() },
    )
    expect(r.code).toBe(0)
    await finished('exec-beat')
    const evs = await events('exec-beat')
    const beats = evs.filter((e) => e.fields.status === undefined && e.fields.output !== undefined)
    // ~15 beats in 3 s; a starved machine fires fewer timers, not none.
    expect(beats.length).toBeGreaterThanOrEqual(3)
    expect(beats.at(-1)!.fields.output).toMatch(/tick \d+\n$/)
    // Heartbeats carry no status: the task's start stays the run's start.
    expect(evs.map((e) => e.fields.status).filter(Boolean)).toEqual(['running', 'completed'])
    const t = (await task('exec-beat'))!
    expect(t.stale_after_seconds).toBe(1)
    expect(t.started_at).toBe(evs[0]!.updated_at)
  })

  it('a server that is down changes neither the output nor the exit code; the spool delivers later', async () => {
    const stateDir = cleanup.dir(tempDir('taskpulse-state-'))
    const closedPort = 'http://127.0.0.1:9' // discard port: nothing listens there
    const cmd = ['sh', '-c', 'echo out; echo err >&2; exit 5']
    const direct = spawnSync(cmd[0]!, cmd.slice(1))
    const r = await runCli(['exec', '--task', 'exec-down', '--', ...cmd], {
      env: cliEnv({
        TASKPULSE_SERVER: closedPort,
        TASKPULSE_TOKEN: backend.token,
        TASKPULSE_STATE_DIR: stateDir,
      }),
    })
    expect(r.code).toBe(direct.status)
    expect(r.stdout.equals(direct.stdout)).toBe(true)
    expect(r.stderr).toBe(direct.stderr.toString())
    expect(readdirSync(join(stateDir, 'spool')).filter((n) => n.endsWith('.json'))).toHaveLength(2)

    // TaskPulse is back: the spooled running + failed arrive, in order.
    const flush = await runCli(['hook', 'flush'], {
      env: cliEnv({
        TASKPULSE_SERVER: backend.url,
        TASKPULSE_TOKEN: backend.token,
        TASKPULSE_STATE_DIR: stateDir,
      }),
    })
    expect(flush.code, flush.stderr).toBe(0)
    expect((await events('exec-down')).map((e) => e.fields.status)).toEqual(['running', 'failed'])
    expect((await task('exec-down'))!.error).toBe('exit code 5\nerr\n')
  })

  it('without any TaskPulse configured it still runs the command (and says so on stderr)', async () => {
    const r = await runCli(['exec', '--', 'sh', '-c', 'echo fine; exit 4'], {
      env: cliEnv({ TASKPULSE_STATE_DIR: cleanup.dir(tempDir('taskpulse-state-')) }),
    })
    expect(r.code).toBe(4)
    expect(r.stdout.toString()).toBe('fine\n')
    expect(r.stderr).toMatch(/running the command without reporting/)
  })

  it('refuses bad options with exit 2 before running anything', async () => {
    for (const args of [
      ['exec', 'sh'],
      ['exec', '--heartbeat', '0', '--', 'true'],
      ['exec', '--task', 'bad id', '--', 'true'],
    ]) {
      const r = await runCli(args, { env: execEnv(), cwd: REPO_ROOT })
      expect(r.code, args.join(' ')).toBe(2)
    }
  })
})
