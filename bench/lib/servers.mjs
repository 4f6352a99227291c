// Starting the three servers under test (and the generator) as child processes with a raised
// file-descriptor limit, reading their ready line, and measuring their CPU and RSS from /proc.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync, readdirSync, rmSync, closeSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const SERVERS = ['taskpulse', 'limit', 'socketio']

/** Child processes still running, so an interrupted run can take them down with it. */
const liveChildren = new Set()

/**
 * On SIGINT/SIGTERM: kill every child still running, run `cleanup` (e.g. stop Redis), exit 130.
 * Without it a signal to the runner alone would orphan servers and Redis.
 */
export function cleanUpOnSignal(cleanup = async () => {}) {
  const handler = async () => {
    for (const c of liveChildren) c.kill('SIGKILL')
    await cleanup().catch(() => {})
    process.exit(130)
  }
  process.once('SIGINT', handler)
  process.once('SIGTERM', handler)
}

/**
 * Spawns `node ...args` under `sh` after raising `ulimit -n` (10,000 sockets need the room).
 * stderr goes to `stderrFile` if given, else as `stderr` says ('ignore', or 'inherit' to show it).
 */
export function spawnNode(
  args,
  { stdout = 'pipe', stderrFile = null, stderr: stderrTo = 'ignore', env = process.env } = {},
) {
  const stderr = stderrFile ? openSync(stderrFile, 'a') : stderrTo
  const child = spawn(
    'sh',
    [
      '-c',
      'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
      'sh',
      process.execPath,
      ...args,
    ],
    { cwd: ROOT, stdio: ['ignore', stdout, stderr], env },
  )
  if (typeof stderr === 'number') closeSync(stderr)
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
  return child
}

/** Resolves with the first JSON line the child prints that has `event` (the ready line). */
export function readReadyLine(child, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout })
    const timer = setTimeout(() => {
      rl.close()
      reject(new Error(`${what}: no ready line within ${timeoutMs} ms`))
    }, timeoutMs)
    const onExit = (code) => {
      clearTimeout(timer)
      reject(new Error(`${what} exited (code ${code}) before its ready line`))
    }
    child.once('exit', onExit)
    rl.on('line', (line) => {
      try {
        const msg = JSON.parse(line)
        if (msg && msg.event === 'listening') {
          clearTimeout(timer)
          child.off('exit', onExit)
          rl.close()
          child.stdout.resume() // keep draining so the child never blocks on a full pipe
          resolve(msg)
        }
      } catch {
        /* not ours */
      }
    })
  })
}

/** The taskpulse entry under test; TASKPULSE_BENCH_BIN points at another build (before/after comparisons). */
const TASKPULSE_BIN = process.env.TASKPULSE_BENCH_BIN ?? 'bin/taskpulse.js'

/**
 * The arguments of `node <entry> serve` on a free port; every bench starts the backend with these.
 * @param {{ dataDir: string, token: string, redisUrl?: string, logLevel?: string }} opts
 *   without redisUrl the backend runs without Redis; logLevel: the shipped default (info) if unset
 */
export function taskpulseServeArgs({ dataDir, token, redisUrl, logLevel }) {
  return [
    TASKPULSE_BIN,
    'serve',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    ...(redisUrl ? ['--redis-url', redisUrl] : []),
    '--token',
    token,
    ...(logLevel ? ['--log-level', logLevel] : []),
  ]
}

export function taskpulseBuilt() {
  return process.env.TASKPULSE_BENCH_BIN
    ? existsSync(TASKPULSE_BIN)
    : existsSync(join(ROOT, 'out', 'backend', 'cli.js'))
}

/**
 * Starts one server on a free port against `redisUrl`.
 * @returns {Promise<{ name, pid, ready, gen: object, logFile, stop(): Promise<void> }>}
 */
export async function startServer(name, redisUrl, { logDir, cpuProfDir = null }) {
  const dataDir = mkdtempSync(join(tmpdir(), `taskpulse-bench-${name}-`))
  const logFile = join(logDir, `${name}-${Date.now()}.log`)
  const token = randomBytes(16).toString('hex')
  let args
  if (name === 'taskpulse') {
    if (!taskpulseBuilt()) throw new Error('taskpulse is not built: run `npm run build` first')
    args = taskpulseServeArgs({ dataDir, token, redisUrl })
  } else if (name === 'limit') {
    args = ['bench/limit-relay.mjs', '--port', '0', '--redis-url', redisUrl]
  } else if (name === 'socketio') {
    args = ['bench/socketio-server.mjs', '--port', '0', '--redis-url', redisUrl]
  } else throw new Error(`unknown server ${name}`)
  // The backend runs with its shipped defaults (log level info, to the log file).
  if (cpuProfDir) args = ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, ...args]
  const child = spawnNode(args, { stderrFile: logFile })
  const exited = new Promise((r) => child.once('exit', r))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(t)
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    const ready = await readReadyLine(child, 20_000, name)
    let gen
    if (name === 'taskpulse') {
      await waitHealthy(ready.url, 10_000)
      const sep = ready.ws.includes('?') ? '&' : '?'
      gen = { protocol: 'taskpulse', wsUrl: `${ready.ws}${sep}token=${token}`, httpUrl: ready.url, token }
    } else if (name === 'limit') {
      gen = { protocol: 'taskpulse', wsUrl: ready.ws, httpUrl: ready.url }
    } else {
      gen = { protocol: 'socketio', wsUrl: ready.ws, httpUrl: ready.url }
    }
    return { name, pid: child.pid, ready, gen, logFile, stop }
  } catch (err) {
    await stop()
    let tail = ''
    try {
      tail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')
    } catch {}
    throw new Error(`${err.message}${tail ? `\n--- ${name} stderr ---\n${tail}` : ''}`)
  }
}

/** Waits until the backend's health says Redis is connected, so the first PUBLISH is not lost. */
export async function waitHealthy(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/api/health`)
      const body = await res.json()
      last = JSON.stringify(body)
      if (body.redis === 'connected') return
    } catch (err) {
      last = err.message
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`taskpulse health never said redis connected: ${last}`)
}

// ---- /proc measurements -------------------------------------------------------------------

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

function descendants(pid) {
  const all = [pid]
  for (let i = 0; i < all.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${all[i]}/task`)) {
        const kids = readFileSync(`/proc/${all[i]}/task/${tid}/children`, 'utf8').trim()
        if (kids) for (const k of kids.split(/\s+/)) all.push(Number(k))
      }
    } catch {
      /* gone */
    }
  }
  return all
}

/** CPU seconds (user + system) used so far by pid and its descendants. */
export function cpuSeconds(pid) {
  let ticks = 0
  for (const p of descendants(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(f[11]) + Number(f[12])
    } catch {
      /* gone */
    }
  }
  return ticks / CLK_TCK
}

/** Resident set size in MB of pid and its descendants. */
export function rssMb(pid) {
  let kb = 0
  for (const p of descendants(pid)) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))
      if (m) kb += Number(m[1])
    } catch {
      /* gone */
    }
  }
  return Math.round(kb / 102.4) / 10
}
