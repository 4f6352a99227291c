// `taskpulse serve`: the headless server. Holds its data dir for its whole life (one server per
// data dir), prints one ready line, and stops gracefully on SIGINT, SIGTERM, SIGHUP, or when the
// process that launched it goes away (npx and npm do not pass signals on to it).
import { fileURLToPath } from 'node:url'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, parseServeArgs, SERVE_USAGE } from './config'
import { createLogger } from './logger'
import { watchParent } from './parent-watch'
import { startServer } from './server'
import { acquireDataDirLock, type DataDirLock } from './store/data-dir-lock'
import { StorageError } from './store/storage-errors'

/** A graceful stop that hangs (a stuck socket, a wedged Redis) must not keep the port forever. */
const STOP_DEADLINE_MS = 10_000

/**
 * The built renderer next to the built backend (out/renderer beside out/backend). This module is
 * bundled into a lazily loaded chunk (out/backend/chunks/), so its own URL is one level deeper
 * than the entry's: look in both places rather than depend on where esbuild put it.
 */
function defaultUiDir(): string | undefined {
  for (const relative of ['../renderer', '../../renderer']) {
    try {
      const dir = fileURLToPath(new URL(relative, import.meta.url))
      if (existsSync(join(dir, 'index.html'))) return dir
    } catch {
      // not a file: URL (never for the built CLI); try the next
    }
  }
  return undefined
}

/** What to tell the operator when the server cannot start. */
export function startFailureMessage(err: unknown, port: number): string {
  const e = err as NodeJS.ErrnoException
  if (err instanceof StorageError) return err.message
  if (e.code === 'EADDRINUSE') return `port ${port} is in use`
  if (e.code === 'EACCES') return `not allowed to listen on port ${port}: ${e.message}`
  return e.message ?? String(err)
}

export async function serve(argv: readonly string[]): Promise<number> {
  let config
  try {
    const parsed = parseServeArgs(argv)
    if (parsed === 'help') {
      process.stdout.write(SERVE_USAGE)
      return 0
    }
    config = { ...parsed, uiDir: parsed.uiDir ?? defaultUiDir() }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`taskpulse serve: ${err.message}\n`)
      return 2
    }
    throw err
  }
  const log = createLogger(config.logLevel)
  // Listen for stop requests before anything else: a supervisor may signal the moment it reads the
  // ready line, and a signal with no handler yet kills the process without a graceful stop. A stop
  // asked for during startup is carried out as soon as the server is up.
  let requestStop!: (reason: Record<string, unknown>) => void
  const stopRequested = new Promise<Record<string, unknown>>((resolve) => (requestStop = resolve))
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(signal, () => requestStop({ signal }))
  const parentWatch = config.parentWatch
    ? watchParent((pid) => requestStop({ reason: 'parent process gone', goneAncestorPid: pid }), {
        wholeChain: true,
      })
    : { stop() {} }

  let lock: DataDirLock | undefined
  let server
  try {
    lock = acquireDataDirLock(config.dataDir)
    server = await startServer(config, { log })
  } catch (err) {
    parentWatch.stop()
    lock?.release()
    process.stderr.write(`taskpulse serve: cannot start: ${startFailureMessage(err, config.port)}\n`)
    log.flush()
    return 1
  }
  process.stdout.write(
    `${JSON.stringify({ event: 'listening', url: server.url, ws: server.wsUrl, ui: server.uiUrl, token: server.token })}\n`,
  )
  log.info(
    { url: server.url, redis: config.redisUrl ? 'configured' : 'disabled', dataDir: config.dataDir },
    'listening',
  )

  const reason = await stopRequested
  parentWatch.stop()
  log.info(reason, 'shutting down')
  const deadline = setTimeout(() => {
    log.error({ deadlineMs: STOP_DEADLINE_MS }, 'graceful stop took too long; exiting')
    log.flush()
    process.exit(1)
  }, STOP_DEADLINE_MS)
  deadline.unref()
  let code = 0
  try {
    await server.close()
  } catch (err) {
    log.error({ err }, 'error during shutdown')
    code = 1
  }
  lock.release()
  log.flush()
  return code
}
