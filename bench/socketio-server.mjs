// The peer: what a user who builds this alone writes — Socket.IO 4 with @socket.io/redis-adapter.
// Messages enter through Redis (the load generator uses @socket.io/redis-emitter); the adapter
// broadcasts each one to every socket of the default namespace. WebSocket transport only, no
// compression, everything else at its defaults.
//
//   node bench/socketio-server.mjs --port 0 --redis-url redis://127.0.0.1:6379
// prints {"event":"listening","url":...,"ws":...} on stdout when ready.
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { Server } from 'socket.io'
import { createAdapter } from '@socket.io/redis-adapter'

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
})

const pub = new Redis(args['redis-url'], { maxRetriesPerRequest: null })
const sub = pub.duplicate()
for (const c of [pub, sub]) c.on('error', (err) => process.stderr.write(`socketio redis: ${err.message}\n`))

const http = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end('{"status":"ok"}')
})
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false })
io.adapter(createAdapter(pub, sub))

await Promise.all([
  new Promise((r) => (pub.status === 'ready' ? r() : pub.once('ready', r))),
  new Promise((r) => (sub.status === 'ready' ? r() : sub.once('ready', r))),
])
// The adapter subscribes asynchronously; give it one round-trip before declaring readiness.
await sub.ping().catch(() => {})
await pub.ping()

http.listen(Number(args.port), args.host, () => {
  const { port } = http.address()
  const url = `http://${args.host}:${port}`
  process.stdout.write(
    JSON.stringify({
      event: 'listening',
      url,
      ws: `ws://${args.host}:${port}/socket.io/?EIO=4&transport=websocket`,
    }) + '\n',
  )
})

// A benchmark server holds nothing worth draining: drop every socket and leave.
const shutdown = () => process.exit(0)
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
