// The entry the desktop app forks: Electron's utilityProcess.fork, or child_process.fork under plain
// Node (tests). Same flags as `taskpulse serve`. Tells the parent when it is ready or why it could
// not start; stops gracefully on {type:'shutdown'} or SIGTERM.
import { ConfigError, parseServeArgs } from './config'
import { createLogger } from './logger'
import { startServer, type RunningServer } from './server'

export type ChildToParent =
  { type: 'ready'; url: string; ws: string; ui: string } | { type: 'error'; code: string; message: string }
export type ParentToChild = { type: 'shutdown' }

interface ParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (e: { data: unknown }) => void): void
}

// Electron's utilityProcess exposes process.parentPort; child_process.fork gives process.send.
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort

function post(message: ChildToParent): void {
  if (parentPort) parentPort.postMessage(message)
  else process.send?.(message)
}

function onParentMessage(listener: (m: ParentToChild) => void): void {
  if (parentPort) parentPort.on('message', (e) => listener(e.data as ParentToChild))
  else process.on('message', (m) => listener(m as ParentToChild))
}

async function run(): Promise<void> {
  let config
  try {
    const parsed = parseServeArgs(process.argv.slice(2))
    if (parsed === 'help') throw new ConfigError('--help is not available in the forked backend')
    config = parsed
  } catch (err) {
    post({ type: 'error', code: 'invalid_config', message: (err as Error).message })
    process.exitCode = 2
    return
  }
  const log = createLogger(config.logLevel)
  let server: RunningServer
  try {
    server = await startServer(config, { log })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    post({ type: 'error', code: e.code ?? 'start_failed', message: e.message })
    log.flush()
    process.exitCode = 1
    return
  }
  post({ type: 'ready', url: server.url, ws: server.wsUrl, ui: server.uiUrl })

  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    server
      .close()
      .catch((err: unknown) => log.error({ err }, 'error during shutdown'))
      .finally(() => {
        log.flush()
        process.exit(0)
      })
  }
  onParentMessage((m) => {
    if (m?.type === 'shutdown') stop()
  })
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  // Parent gone (child_process IPC closed): do not linger as an orphan.
  process.once('disconnect', stop)
}

void run()
