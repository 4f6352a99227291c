// A private redis-server on a free loopback port for one benchmark run (the .mjs twin of
// test/helpers/redis-server.ts, so the bench needs no TypeScript). No persistence: PUBLISH is not
// persisted anyway, and fsync on the outbox's XADDs would measure the disk, not the relay.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

export function freePort() {
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

export async function startRedis() {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'redis-server is not installed or not on PATH: the benchmark needs a real Redis (Debian: apt-get install redis-server)',
    )
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-bench-redis-'))
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
      '--maxclients',
      '60000',
      // A slow subscriber must not be cut by Redis mid-row: the bench measures the relay's own backlog.
      '--client-output-buffer-limit',
      'pubsub 0 0 0',
    ],
    { stdio: 'ignore' },
  )
  const deadline = Date.now() + 10_000
  for (;;) {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    client.on('error', () => {})
    try {
      await client.connect()
      if ((await client.ping()) === 'PONG') {
        client.disconnect()
        break
      }
    } catch {
      client.disconnect()
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`redis-server did not start on port ${port}`)
    }
    await sleep(50)
  }
  let closed = false
  return {
    port,
    pid: child.pid,
    url: `redis://127.0.0.1:${port}`,
    async close() {
      if (closed) return
      closed = true
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGKILL')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
