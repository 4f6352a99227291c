// A non-reading HTTP client in its own process (so the test process that probes health is not
// slowed by it): 6 connections each pipelining requests they never read, for SECONDS; reconnects
// when the server cuts a connection off. Prints {"sent","reconnects"}.
//   node pipeline-attacker.mjs PORT TOKEN SECONDS
import { connect } from 'node:net'

const [port, token, seconds] = process.argv.slice(2)
const host = `Host: 127.0.0.1:${port}\r\n`
const kinds = [
  `GET / HTTP/1.1\r\n${host}\r\n`, // no token: the UI
  `GET /api/tasks?limit=100 HTTP/1.1\r\n${host}Authorization: Bearer ${token}\r\n\r\n`,
  `GET /api/nothing HTTP/1.1\r\n${host}\r\n`, // 401 without a token
]
const until = Date.now() + Number(seconds) * 1000
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
let sent = 0
let reconnects = 0

async function attacker(request) {
  const burst = request.repeat(200)
  while (Date.now() < until) {
    const s = await new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => resolve(socket))
      socket.once('error', reject)
    })
    s.on('error', () => {})
    s.pause() // never read an answer
    while (Date.now() < until && !s.destroyed && s.writable) {
      sent += 200
      if (!s.write(burst)) {
        await Promise.race([
          new Promise((r) => s.once('drain', r)),
          new Promise((r) => s.once('close', r)),
          sleep(Math.max(0, until - Date.now())),
        ])
      }
      // A pause between bursts keeps this process from taking a whole core of the 2 the suite
      // runs on, and the loopback device from being saturated by sheer bytes (which delays every
      // packet on the machine, the prober's included, whatever the server does). The attack under
      // test stays: ~100,000 unread requests/s offered on 6 connections.
      await sleep(10)
    }
    if (Date.now() < until) reconnects++
    s.destroy()
  }
}

await Promise.all([0, 1, 2, 3, 4, 5].map((i) => attacker(kinds[i % kinds.length])))
process.stdout.write(JSON.stringify({ sent, reconnects }) + '\n')
