// Spawns a private redis-server on a free loopback port for one test file, and stops it.
// A missing redis-server fails the run with a clear message: tests never skip themselves.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

export interface RedisServer {
  port: number
  url: string
  /** Stops the server (SIGKILL when `hard`), keeping its port and data dir for `start()`. */
  stop(opts?: { hard?: boolean }): Promise<void>
  /** Starts it again on the same port (after stop), with what it persisted. */
  start(): Promise<void>
  /** Stops and removes everything. Safe to call twice. */
  close(): Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

function assertRedisInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'redis-server is not installed or not on PATH: the integration tests need a real Redis ' +
        '(Debian: apt-get install redis-server). .ci/run installs it.',
    )
  }
}

export interface StartRedisOptions {
  /** Appended to the redis-server command line (e.g. `['--requirepass', 'pw']`). */
  extraArgs?: string[]
  /** With `--requirepass`: lets the readiness probe authenticate. */
  password?: string
  /** Speak TLS only, on the port (plain port off); the url is then rediss://. */
  tls?: { cert: string; key: string; ca: Buffer }
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  assertRedisInstalled()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-redis-'))
  let child: ChildProcess | null = null
  let closed = false

  const start = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      [
        ...(opts.tls
          ? [
              '--port',
              '0',
              '--tls-port',
              String(port),
              '--tls-cert-file',
              opts.tls.cert,
              '--tls-key-file',
              opts.tls.key,
              '--tls-ca-cert-file',
              opts.tls.cert,
              '--tls-auth-clients',
              'no',
            ]
          : ['--port', String(port)]),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--protected-mode',
        'no',
        '--loglevel',
        'warning',
        ...(opts.extraArgs ?? []),
      ],
      { stdio: 'ignore' },
    )
    const deadline = Date.now() + 10_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}) on port ${port}`)
      const probe = new Redis({
        ...(opts.tls && { tls: { ca: opts.tls.ca } }),
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        password: opts.password,
      })
      probe.on('error', () => {})
      try {
        await probe.connect()
        if ((await probe.ping()) === 'PONG') {
          probe.disconnect()
          return
        }
      } catch {
        probe.disconnect()
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`)
      await sleep(50)
    }
  }

  const stop = async (opts?: { hard?: boolean }): Promise<void> => {
    const c = child
    child = null
    if (!c || c.exitCode !== null) return
    const exited = new Promise<void>((r) => c.once('exit', () => r()))
    c.kill(opts?.hard ? 'SIGKILL' : 'SIGTERM')
    await exited
  }

  await start()
  return {
    port,
    url: `${opts.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    stop,
    start,
    async close() {
      if (closed) return
      closed = true
      await stop({ hard: true })
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
