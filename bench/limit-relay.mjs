// The floor: the fastest minimal relay we can write on this machine. Redis PUBLISH → no storage,
// no parsing → the messages of one event-loop turn are framed once (ws's Sender.frame) into one
// buffer → that buffer written straight to every subscribed socket. Speaks just enough of
// TaskPulse's WS handshake (hello → subscribe → subscribed) that the same load generator drives it.
//
//   node bench/limit-relay.mjs --port 0 --redis-url redis://127.0.0.1:6379 [--channel task_status_update]
// prints {"event":"listening","url":...,"ws":...} on stdout when ready.
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { WebSocketServer, Sender } from 'ws'

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    channel: { type: 'string', default: 'task_status_update' },
  },
})

/** A socket past this many queued bytes is cut off so it cannot grow the heap without bound. */
const MAX_BUFFERED = 64 * 1024 * 1024
const FRAME_OPTS = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false }

/** @type {Set<import('ws').WebSocket>} */
const subscribers = new Set()
/** @type {Buffer[]} */
let pending = []
let scheduled = false

function flush() {
  scheduled = false
  const batch = pending
  pending = []
  if (subscribers.size === 0) return
  const parts = []
  for (const payload of batch) {
    for (const part of Sender.frame(payload, FRAME_OPTS)) parts.push(part)
  }
  const wire = parts.length === 1 ? parts[0] : Buffer.concat(parts)
  for (const ws of subscribers) {
    const sock = ws._socket
    if (sock.writableLength > MAX_BUFFERED) {
      subscribers.delete(ws)
      ws.terminate()
      continue
    }
    sock.write(wire)
  }
}

const sub = new Redis(args['redis-url'], { lazyConnect: true, maxRetriesPerRequest: null })
sub.on('error', (err) => process.stderr.write(`limit-relay redis: ${err.message}\n`))
sub.on('messageBuffer', (_channel, message) => {
  pending.push(message)
  if (!scheduled) {
    scheduled = true
    setImmediate(flush)
  }
})

const http = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end('{"status":"ok"}')
})
const wss = new WebSocketServer({
  server: http,
  path: '/ws',
  perMessageDeflate: false,
  maxPayload: 64 * 1024,
})
wss.on('connection', (ws) => {
  ws.send('{"type":"hello","protocol":2,"epoch":"limit","seq":0}')
  ws.on('message', (data) => {
    const text = data.toString()
    if (text.includes('"subscribe"')) {
      ws.send('{"type":"subscribed","seq":0}')
      subscribers.add(ws)
    } else if (text.includes('"ping"')) {
      ws.send('{"type":"pong"}')
    }
  })
  ws.on('close', () => subscribers.delete(ws))
  ws.on('error', () => subscribers.delete(ws))
})

await sub.connect()
await sub.subscribe(args.channel)
http.listen(Number(args.port), args.host, () => {
  const { port } = http.address()
  const url = `http://${args.host}:${port}`
  process.stdout.write(JSON.stringify({ event: 'listening', url, ws: `ws://${args.host}:${port}/ws` }) + '\n')
})

const shutdown = () => {
  for (const ws of wss.clients) ws.terminate()
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
