// The entry the desktop app forks: Electron's utilityProcess.fork, or child_process.fork under plain
// Node (tests). Same flags as `taskpulse serve`. Tells the parent when it is ready or why it could
// not start; stops gracefully on {type:'shutdown'}, SIGTERM, or when the parent goes away. Holds
// the data dir's lock for its life: a backend left over from a crashed app makes a new one fail
// with a message naming the holder, instead of both answering 503 to each other's writes.
import { ConfigError, parseServeArgs } from './config'
import { createLogger } from './logger'
import { watchParent } from './parent-watch'
import { startServer, type RunningServer } from './server'
import { acquireDataDirLock, type DataDirLock } from './store/data-dir-lock'
import { StorageError } from './store/storage-errors'

export type ChildToParent =
  | { type: 'ready'; url: string; ws: string; ui: string }
  | { type: 'error'; code: string; message: string }
  // Before a one-off schema upgrade that may outlast the parent's ready timeout.
  | { type: 'upgrading'; from: number; to: number; tasks: number }
  | { type: 'upgraded' }
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
  let lock: DataDirLock | undefined
  try {
    lock = acquireDataDirLock(config.dataDir)
    server = await startServer(config, {
      log,
      onUpgrading: (u) => post({ type: 'upgrading', ...u }),
      onUpgraded: () => post({ type: 'upgraded' }),
    })
  } catch (err) {
    lock?.release()
    const e = err as NodeJS.ErrnoException | null
    const code = err instanceof StorageError ? err.code : String(e?.code ?? 'start_failed')
    post({ type: 'error', code, message: err instanceof Error ? err.message : String(err) })
    log.flush()
    process.exitCode = 1
    return
  }
  const heldLock = lock
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    parentWatch.stop()
    server
      .close()
      .catch((err: unknown) => log.error({ err }, 'error during shutdown'))
      .finally(() => {
        heldLock.release()
        log.flush()
        process.exit(0)
      })
  }
  onParentMessage((m) => {
    if (m?.type === 'shutdown') stop()
  })
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  // Parent gone (child_process IPC closed, or re-parented: Electron's utility process has no IPC
  // channel that closes): do not linger as an orphan holding the port and the data dir.
  process.once('disconnect', stop)
  const parentWatch = watchParent(stop, { wholeChain: false })
  // Ready only once a stop can be handled: the parent may ask for one the moment it reads this.
  post({ type: 'ready', url: server.url, ws: server.wsUrl, ui: server.uiUrl })
}

void run()
