// A backend that reports ready and then gets stuck: it catches SIGTERM (as the real child does to
// shut down gracefully) and, asked to shut down, blocks its event loop forever — so neither the
// shutdown message nor SIGTERM ever makes it exit. Only SIGKILL does. Used by the supervisor tests.
const send = (m) => (process.parentPort ? process.parentPort.postMessage(m) : process.send?.(m))
process.on('SIGTERM', () => {})
const onMessage = (m) => {
  const msg = m && typeof m === 'object' && 'data' in m && process.parentPort ? m.data : m
  if (msg?.type === 'shutdown') for (;;) {}
}
if (process.parentPort) process.parentPort.on('message', onMessage)
else process.on('message', onMessage)
send({ type: 'ready', url: 'http://127.0.0.1:9', ws: 'ws://127.0.0.1:9/ws', ui: '' })
setInterval(() => {}, 1_000)
