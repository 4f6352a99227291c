// A well-behaved stand-in for out/backend/child.js: reports ready at once (on a port nobody
// listens on) and exits on the shutdown message or SIGTERM. For composition-root tests that fork.
const send = (m) => (process.parentPort ? process.parentPort.postMessage(m) : process.send?.(m))
const onMessage = (m) => {
  const msg = m && typeof m === 'object' && 'data' in m && process.parentPort ? m.data : m
  if (msg?.type === 'shutdown') process.exit(0)
}
if (process.parentPort) process.parentPort.on('message', onMessage)
else process.on('message', onMessage)
process.on('SIGTERM', () => process.exit(0))
send({ type: 'ready', url: 'http://127.0.0.1:9', ws: 'ws://127.0.0.1:9/ws', ui: '' })
setInterval(() => {}, 1_000)
