// What a large WebSocket message costs Chromium's renderer main thread with and without the
// DevTools Network domain enabled. Playwright enables it on every page it drives (so the ui-scale
// bench pays it); a user's window does not. Raw CDP, no Playwright: one page, 1.15 MB JSON
// messages, a trace per variant; per message task: its CPU (thread time) and the part outside
// JavaScript. Usage: node bench/ws-devtools-cost.mjs [--chromium /usr/bin/chromium] [--messages 12]
import { createServer } from 'node:http'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { WebSocketServer, WebSocket } from 'ws'

const { values: opt } = parseArgs({
  options: {
    chromium: { type: 'string', default: process.env.TASKPULSE_CHROMIUM ?? '/usr/bin/chromium' },
    messages: { type: 'string', default: '12' },
    port: { type: 'string', default: '9339' },
  },
})
const N = Number(opt.messages)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// A snapshot-page-like message: 1,000 entries with ~1 KB of log text each.
const payload = JSON.stringify({
  type: 'snapshot',
  tasks: Array.from({ length: 1000 }, (_, i) => ({
    id: `t${i}`,
    title: 'x'.repeat(40),
    output: `line of log output ${i}\n`.repeat(45),
  })),
})
const html = `<!doctype html><script>
const ws = new WebSocket('ws://' + location.host + '/ws')
ws.onmessage = (e) => { JSON.parse(e.data) }
</script>`
const server = createServer((_req, res) => {
  res.setHeader('content-type', 'text/html')
  res.end(html)
})
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false })
let socket = null
wss.on('connection', (ws) => (socket = ws))
await new Promise((r) => server.listen(0, '127.0.0.1', r))
const appUrl = `http://127.0.0.1:${server.address().port}/`

const profileDir = mkdtempSync(join(tmpdir(), 'ws-devtools-cost-'))
const chrome = spawn(
  opt.chromium,
  [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    `--remote-debugging-port=${opt.port}`,
    `--user-data-dir=${profileDir}`,
    'about:blank',
  ],
  { stdio: 'ignore' },
)
let targets = []
for (let i = 0; i < 150 && !targets.some((t) => t.type === 'page'); i++) {
  try {
    targets = await (await fetch(`http://127.0.0.1:${opt.port}/json/list`)).json()
  } catch {
    await sleep(200)
  }
}
const cdp = new WebSocket(targets.find((t) => t.type === 'page').webSocketDebuggerUrl, {
  maxPayload: 2 ** 30,
})
await new Promise((r) => cdp.once('open', r))
let nextId = 0
const replies = new Map()
let onEvent = () => {}
cdp.on('message', (data) => {
  const m = JSON.parse(data)
  if (m.id !== undefined) replies.get(m.id)?.(m)
  else onEvent(m)
})
const send = (method, params = {}) =>
  new Promise((r) => {
    const id = ++nextId
    replies.set(id, r)
    cdp.send(JSON.stringify({ id, method, params }))
  })

async function measure(withNetwork) {
  socket = null
  await send(withNetwork ? 'Network.enable' : 'Network.disable')
  await send('Page.navigate', { url: appUrl })
  while (!socket) await sleep(50)
  await sleep(500)
  const events = []
  const complete = new Promise((r) => {
    onEvent = (m) => {
      if (m.method === 'Tracing.dataCollected') events.push(...m.params.value)
      if (m.method === 'Tracing.tracingComplete') r()
    }
  })
  await send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline' })
  for (let i = 0; i < N; i++) {
    socket.send(payload)
    await sleep(300)
  }
  await sleep(800)
  await send('Tracing.end')
  await complete
  const byThread = new Map()
  for (const e of events.filter((x) => x.ph === 'X' && x.dur !== undefined)) {
    const k = `${e.pid}:${e.tid}`
    if (!byThread.has(k)) byThread.set(k, [])
    byThread.get(k).push(e)
  }
  const main = [...byThread.values()].sort(
    (a, b) =>
      b.filter((e) => e.name === 'FunctionCall').length - a.filter((e) => e.name === 'FunctionCall').length,
  )[0]
  const calls = main.filter((e) => e.name === 'FunctionCall')
  const perMessage = []
  for (const t of main.filter((e) => e.name === 'RunTask')) {
    const js = calls
      .filter((c) => c.ts >= t.ts && c.ts <= t.ts + t.dur)
      .reduce((a, c) => a + (c.tdur ?? 0), 0)
    if (js > 0 && t.tdur > 2000) perMessage.push({ cpu: t.tdur / 1000, outside_js: (t.tdur - js) / 1000 })
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? null
  return {
    network_domain: withNetwork,
    message_tasks: perMessage.length,
    cpu_ms_median: median(perMessage.map((m) => m.cpu)),
    outside_js_ms_median: median(perMessage.map((m) => m.outside_js)),
  }
}

const results = { message_mb: +(payload.length / 1e6).toFixed(2), runs: [] }
for (const withNetwork of [false, true, false, true]) results.runs.push(await measure(withNetwork))
console.log(JSON.stringify(results, null, 1))
cdp.close()
chrome.kill()
server.close()
rmSync(profileDir, { recursive: true, force: true })
process.exit(0)
