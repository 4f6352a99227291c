// The `taskpulse` command as an operator meets it, run from the built entry (bin/taskpulse.js):
// --version, serve --help listing every option the parser takes, the ready line carrying the
// token, and emit errors that say what is wrong (a URL without scheme, a Redis that refuses).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SERVE_OPTIONS } from '../../src-backend/config'
import { REPO_ROOT, tempDir } from '../helpers/backend-process'
import { cleanupStack } from '../integration/resilience-helpers'

const cleanup = cleanupStack()
afterEach(() => cleanup.run())

const BIN = join(REPO_ROOT, 'bin', 'taskpulse.js')
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TASKPULSE_SERVER: '', TASKPULSE_TOKEN: '', REDIS_URL: '', ...env },
  })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`taskpulse ${args.join(' ')} did not finish in 60 s; stderr: ${stderr}`))
    }, 60_000)
    proc.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

describe('taskpulse CLI', () => {
  it.each([['--version'], ['-v']])('%s prints the package version', async (flag) => {
    const r = await run([flag])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(VERSION)
  })

  it('serve --help lists every option the parser accepts', async () => {
    const r = await run(['serve', '--help'])
    expect(r.code).toBe(0)
    for (const name of Object.keys(SERVE_OPTIONS)) expect(r.stdout).toContain(`--${name}`)
  })

  it('the ready line carries the token, and it opens the API', async () => {
    // No --token: the server makes one, and the ready line is where to learn it.
    const { ready, stop } = await serveWithoutToken()
    cleanup.add(() => stop())
    expect(ready.token.length).toBeGreaterThanOrEqual(16)
    expect(ready.ui).toContain(`#token=${encodeURIComponent(ready.token)}`)
    const res = await fetch(`${ready.url}/api/tasks`, { headers: { authorization: `Bearer ${ready.token}` } })
    expect(res.status).toBe(200)
  })

  it('emit --server without a scheme says the scheme is missing', async () => {
    const r = await run([
      'emit',
      '--task',
      't',
      '--status',
      'running',
      '--server',
      '127.0.0.1:8080',
      '--token',
      'x',
    ])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("'127.0.0.1:8080'")
    expect(r.stderr).toMatch(/scheme is missing/)
    expect(r.stderr).toContain('http://')
  })

  it('emit to a server that is not there names the address and the cause', async () => {
    const port = await closedPort()
    const r = await run([
      'emit',
      '--task',
      't',
      '--status',
      'running',
      '--server',
      `http://127.0.0.1:${port}`,
      '--token',
      'x',
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`127.0.0.1:${port}`)
    expect(r.stderr).toMatch(/ECONNREFUSED/)
  })

  it('emit to a Redis that refuses names host:port and the cause', async () => {
    const port = await closedPort()
    const r = await run([
      'emit',
      '--task',
      't',
      '--status',
      'running',
      '--redis-url',
      `redis://127.0.0.1:${port}`,
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`127.0.0.1:${port}`)
    expect(r.stderr).toMatch(/ECONNREFUSED/)
    expect(r.stderr).not.toMatch(/Connection is closed/)
  })

  it('emit without --status sends a partial update; emit of nothing to set says so', async () => {
    const { ready, stop } = await serveWithoutToken()
    cleanup.add(() => stop())
    const server = ['--server', ready.url, '--token', ready.token]
    expect((await run(['emit', '--task', 'partial-1', '--status', 'running', ...server])).code).toBe(0)
    const partial = await run(['emit', '--task', 'partial-1', '--output', 'step 2 of 5', ...server])
    expect(partial.code, partial.stderr).toBe(0)
    const res = await fetch(`${ready.url}/api/tasks/partial-1`, {
      headers: { authorization: `Bearer ${ready.token}` },
    })
    expect(await res.json()).toMatchObject({ status: 'running', output: 'step 2 of 5' })
    const nothing = await run(['emit', '--task', 'partial-1', ...server])
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toMatch(/--status or at least one field/)
  })

  it('emit with a non-Redis URL for --redis-url says what it must look like', async () => {
    const r = await run(['emit', '--task', 't', '--status', 'running', '--redis-url', '127.0.0.1:6379'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/redis:\/\//)
  })
})

/** `serve` without --token (and none in the environment), reading the ready line itself. */
async function serveWithoutToken(): Promise<{
  ready: { url: string; ui: string; token: string }
  stop: () => Promise<number | null>
}> {
  const dataDir = cleanup.dir(tempDir())
  const proc = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TASKPULSE_TOKEN: '' },
    },
  )
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)))
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('no ready line in 60 s')), 60_000)
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(out.slice(0, nl))
      }
    })
  })
  return {
    ready: JSON.parse(line) as { url: string; ui: string; token: string },
    stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
      return exited
    },
  }
}
