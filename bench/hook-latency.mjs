// Wall time of `taskpulse hook claude-code` (process start to exit, as the agent waits for it)
// with the server up, down (connection refused) and hanging (accepts, never answers), beside the
// floor every Node CLI pays: `node -e 0` and `taskpulse --version`. Needs `npm run build`.
//
//   node bench/hook-latency.mjs [--calls 50] [--busy 2]
//
// --busy N runs N `node -e 'for(;;){}'` loops beside it (the project's stand-in for a busy machine).
//
// Prints a table and writes bench/results/hook-latency-<time>.json.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { loadavg, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

const ROOT = join(import.meta.dirname, '..')
const BIN = join(ROOT, 'bin', 'taskpulse.js')
const { values } = parseArgs({
  options: { calls: { type: 'string', default: '50' }, busy: { type: 'string', default: '0' } },
})
const CALLS = Number(values.calls)
const BUSY = Number(values.busy)
const loops = Array.from({ length: BUSY }, () =>
  spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }),
)

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

// CPU time of each process (user + system), reported by a preload at exit: unlike wall time it
// hardly depends on what else the machine runs, so it says what the hook itself costs.
const CPU_PRELOAD = join(mkdtempSync(join(tmpdir(), 'taskpulse-hookbench-cpu-')), 'cpu.cjs')
writeFileSync(
  CPU_PRELOAD,
  `process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(2, 'bench-cpu-ms ' + (u.user + u.system) / 1000 + '\\n') })`,
)

function timed(args, env, stdin) {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const p = spawn(process.execPath, ['--require', CPU_PRELOAD, ...args], {
      env,
      stdio: ['pipe', 'ignore', 'pipe'],
    })
    let err = ''
    p.stderr.on('data', (c) => (err += c))
    p.stdin.end(stdin ?? '')
    p.once('close', (code) => {
      const cpu = Number(/bench-cpu-ms ([\d.]+)/.exec(err)?.[1] ?? NaN)
      resolve({ ms: performance.now() - t0, cpu, code })
    })
  })
}

async function series(name, args, env, stdinFor) {
  const ms = []
  const cpu = []
  for (let i = 0; i < CALLS; i++) {
    const r = await timed(args, env, stdinFor?.(i))
    if (r.code !== 0) throw new Error(`${name}: exit ${r.code}`)
    ms.push(r.ms)
    cpu.push(r.cpu)
  }
  const row = {
    name,
    calls: CALLS,
    p50_ms: Math.round(pct(ms, 50)),
    p99_ms: Math.round(pct(ms, 99)),
    max_ms: Math.round(Math.max(...ms)),
    cpu_p50_ms: Math.round(pct(cpu, 50)),
  }
  console.log(
    `${name.padEnd(34)} p50 ${String(row.p50_ms).padStart(4)} ms   p99 ${String(row.p99_ms).padStart(4)} ms   max ${String(row.max_ms).padStart(4)} ms   cpu p50 ${row.cpu_p50_ms} ms`,
  )
  return row
}

const dataDir = mkdtempSync(join(tmpdir(), 'taskpulse-hookbench-'))
const token = 'hook-bench-token-0123456789'
const server = spawn(
  process.execPath,
  [BIN, 'serve', '--port', '0', '--data-dir', join(dataDir, 'data'), '--token', token, '--log-level', 'warn'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
const ready = await new Promise((resolve) =>
  createInterface({ input: server.stdout }).once('line', (l) => resolve(JSON.parse(l))),
)
const hanging = createServer(() => undefined) // accepts, never answers
await new Promise((r) => hanging.listen(0, '127.0.0.1', r))
const closed = createServer()
await new Promise((r) => closed.listen(0, '127.0.0.1', r))
const closedPort = closed.address().port
await new Promise((r) => closed.close(r))

const env = (serverUrl, stateName) => ({
  ...process.env,
  TASKPULSE_SERVER: serverUrl,
  TASKPULSE_TOKEN: token,
  TASKPULSE_STATE_DIR: join(dataDir, stateName),
  REDIS_URL: '',
})
const event = (i) =>
  JSON.stringify({
    session_id: 'bench-session',
    hook_event_name: 'PreToolUse',
    cwd: ROOT,
    tool_name: 'Bash',
    tool_input: { command: `npm test -- step ${i}` },
  })

console.log(
  `hook wall time, ${CALLS} calls each, ${BUSY} busy loops; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${cpus().length} CPUs`,
)
const rows = []
rows.push(await series('node -e 0 (floor)', ['-e', '0'], process.env))
rows.push(await series('taskpulse --version', [BIN, '--version'], process.env))
rows.push(await series('hook, server up', [BIN, 'hook', 'claude-code'], env(ready.url, 'up'), event))
rows.push(
  await series(
    'hook, server down (refused)',
    [BIN, 'hook', 'claude-code'],
    env(`http://127.0.0.1:${closedPort}`, 'down'),
    event,
  ),
)
rows.push(
  await series(
    'hook, server hanging (no answer)',
    [BIN, 'hook', 'claude-code'],
    env(`http://127.0.0.1:${hanging.address().port}`, 'hang'),
    event,
  ),
)
server.kill('SIGTERM')
hanging.close()
for (const loop of loops) loop.kill('SIGKILL')
await new Promise((r) => server.once('exit', r))
spawnSync('true')
rmSync(dataDir, { recursive: true, force: true })

const out = join(ROOT, 'bench', 'results')
mkdirSync(out, { recursive: true })
const file = join(out, `hook-latency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(
  file,
  JSON.stringify(
    { at: new Date().toISOString(), busy_loops: BUSY, loadavg: loadavg(), cpus: cpus().length, rows },
    null,
    2,
  ),
)
console.log(`written ${file}`)
