// Runs the embedded backend (out/backend/child.js) as a child process and keeps it running.
// The child is forked with `taskpulse serve` flags, posts {type:'ready',url,ws,ui} or
// {type:'error',code,message}, and stops gracefully on {type:'shutdown'}. The fork function is
// passed in: Electron's utilityProcess.fork in the app, child_process.fork in tests, both behind
// the small BackendProcess adapter below.
//
// All changes (start, restart, retry, apply, stop) go through one queue and run one at a time.
// Policy: wait for ready with a timeout; when the child dies, restart it with exponential backoff
// and jitter; after `crashLimit.count` deaths within `crashLimit.windowMs`, give up with a visible
// error until retry(); restart on a config change; stop cleanly (shutdown message, then kill).
// A restarted backend asks for the port it had, so the window's origin allow-list and CSP stay
// valid; if that port is taken it falls back to a free one.
import { backoffDelay } from '../../src-shared/backoff'
import { fork as forkChild } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { BackendState, Connection } from '../../src-shared/ipc'
import type { UtilityProcessStatic } from '../electron-types'
import { realSetTimer } from '../timers'
import { z } from 'zod'

export interface BackendProcess {
  readonly pid: number | undefined
  onMessage(cb: (message: unknown) => void): void
  onExit(cb: (code: number | null) => void): void
  /** stderr and stdout, line by line. */
  onLog(cb: (line: string) => void): void
  send(message: unknown): void
  /** SIGTERM-like stop; `hard` kills outright where the platform lets us choose. */
  kill(hard?: boolean): void
}
export type ForkFn = (entry: string, args: string[], env: Record<string, string>) => BackendProcess

export interface Logger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface EmbeddedConfig {
  dataDir: string
  token: string
  redisUrl: string | null
  /** Origins besides the backend's own allowed to call it (the window's `app://taskpulse`). */
  allowedOrigins: string[]
}

export interface BackendSupervisor {
  /** Starts the backend; resolves with its connection once ready, rejects when it gives up. */
  start(config: EmbeddedConfig): Promise<Connection>
  /** Stops the running backend and starts it with `config` (settings changed). */
  restart(config: EmbeddedConfig): Promise<Connection>
  /** After giving up: try again from scratch. */
  retry(): Promise<Connection>
  /** Runs the backend `config` describes, or none (null: remote mode). Calls queue up behind the
   * running operation and collapse: when the queue reaches them only the latest config is applied,
   * so a burst of settings changes forks at most once. Resolves once that config's child is
   * forked (or the old one is stopped), not when it is ready. */
  apply(config: EmbeddedConfig | null): Promise<void>
  /** Graceful stop; idempotent. */
  stop(): Promise<void>
  /** Resolves once every start/restart/retry/stop asked for so far has stopped and spawned what
   * it had to (not when the backend is ready). Operations run one at a time, in call order. */
  settled(): Promise<void>
  state(): BackendState
  onState(listener: (state: BackendState) => void): () => void
  /** The current child, for tests and diagnostics. */
  pid(): number | undefined
}

/** What the child posts (src-backend/child.ts, ChildToParent); anything else is ignored. */
const count = z.number().int().nonnegative()
const childMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    url: z.string().refine((u) => URL.canParse(u)),
    ws: z.string(),
    ui: z.string(),
  }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
  // Before a one-off schema upgrade of the data dir, which may outlast the ready timeout; and
  // once it is done, when the ordinary ready timeout applies again.
  z.object({ type: z.literal('upgrading'), from: count, to: count, tasks: count }),
  z.object({ type: z.literal('upgraded') }),
])

// Variables the child would otherwise read from the parent's environment over ours.
const CHILD_ENV_DROPPED = [
  'PORT',
  'REDIS_URL',
  'TASKPULSE_HOST',
  'TASKPULSE_DATA_DIR',
  'TASKPULSE_TOKEN',
  'TASKPULSE_BACKEND_URL',
  'TASKPULSE_REDIS_URL',
]

/** Flags and environment for the child. Secrets (token, Redis URL with its password) go through
 * the environment so they do not show in the OS process list; the rest are `serve` flags. */
export function childInvocation(
  config: EmbeddedConfig,
  port: number,
  baseEnv: NodeJS.ProcessEnv,
): { args: string[]; env: Record<string, string> } {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(baseEnv))
    if (v !== undefined && !CHILD_ENV_DROPPED.includes(k)) env[k] = v
  env.TASKPULSE_TOKEN = config.token
  if (config.redisUrl) env.REDIS_URL = config.redisUrl
  const args = ['--port', String(port), '--data-dir', config.dataDir]
  if (config.allowedOrigins.length > 0) args.push('--allowed-origins', config.allowedOrigins.join(','))
  return { args, env }
}

export function createBackendSupervisor(deps: {
  fork: ForkFn
  entry: string
  log: Logger
  baseEnv?: NodeJS.ProcessEnv
  now?: () => number
  setTimer?: (fn: () => void, ms: number) => () => void
  random?: () => number
  readyTimeoutMs?: number
  /**
   * How long a child that said it is upgrading its data dir (a one-off migration, minutes for a
   * large one) may take to be ready. Killing it at the ready timeout would roll the upgrade back
   * and start it again, forever.
   */
  upgradeTimeoutMs?: number
  stopTimeoutMs?: number
  /** After a hard kill, how long to wait for the exit before giving up on the child. */
  killTimeoutMs?: number
  backoff?: { initialMs: number; maxMs: number }
  crashLimit?: { count: number; windowMs: number }
}): BackendSupervisor {
  const now = deps.now ?? Date.now
  const setTimer = deps.setTimer ?? realSetTimer
  const random = deps.random ?? Math.random
  const readyTimeoutMs = deps.readyTimeoutMs ?? 20_000
  const upgradeTimeoutMs = deps.upgradeTimeoutMs ?? 2 * 3600_000
  const stopTimeoutMs = deps.stopTimeoutMs ?? 5_000
  const killTimeoutMs = deps.killTimeoutMs ?? 3_000
  const backoff = deps.backoff ?? { initialMs: 500, maxMs: 30_000 }
  const crashLimit = deps.crashLimit ?? { count: 5, windowMs: 60_000 }

  let config: EmbeddedConfig | null = null
  let child: BackendProcess | null = null
  let childExited: Promise<void> = Promise.resolve()
  let state: BackendState = { status: 'stopped' }
  let crashes: number[] = []
  let lastError = ''
  let stickyPort = 0
  let cancelTimer: (() => void) | null = null
  /** Bumped on every stop/restart so callbacks of an old child are ignored. */
  let generation = 0
  const listeners = new Set<(s: BackendState) => void>()
  let waiters: { resolve: (c: Connection) => void; reject: (e: Error) => void }[] = []

  const setState = (next: BackendState): void => {
    state = next
    for (const l of listeners) l(next)
    if (next.status === 'running') {
      const ws = waiters
      waiters = []
      for (const w of ws) w.resolve(next.connection)
    } else if (next.status === 'failed' || next.status === 'stopped') {
      const ws = waiters
      waiters = []
      const err = Object.assign(new Error(next.status === 'failed' ? next.error : 'backend stopped'), {
        code: next.status === 'failed' ? 'backend_failed' : 'backend_stopped',
      })
      for (const w of ws) w.reject(err)
    }
  }

  const waitRunning = (): Promise<Connection> =>
    state.status === 'running'
      ? Promise.resolve(state.connection)
      : new Promise((resolve, reject) => waiters.push({ resolve, reject }))

  const spawn = (): void => {
    if (!config) return
    const gen = generation
    const port = stickyPort
    const { args, env } = childInvocation(config, port, deps.baseEnv ?? process.env)
    let proc: BackendProcess
    try {
      proc = deps.fork(deps.entry, args, env)
    } catch (err) {
      onDeath(gen, `could not start the backend: ${(err as Error).message}`, false)
      return
    }
    child = proc
    let ready = false
    let settled = false
    const recentLines: string[] = []
    let resolveExit: () => void = () => {}
    childExited = new Promise<void>((r) => (resolveExit = r))

    const exited = childExited
    /** Between the child's `upgrading` and `upgraded`: a death then is the upgrade's failure. */
    let upgrading = false
    const readyTimeout = (timeoutMs: number, what: string) =>
      setTimer(() => {
        if (ready || settled || gen !== generation) return
        settled = true
        deps.log.error({ timeoutMs }, 'backend did not report ready in time')
        // Never run two backends at once: the replacement is scheduled only once this one is gone
        // (or could not be killed within the kill timeout, which is logged).
        const upgradeFailed = upgrading
        void killAndWait(proc, exited).then(() => onDeath(gen, what, false, upgradeFailed))
      }, timeoutMs)
    let cancelReadyTimeout = readyTimeout(
      readyTimeoutMs,
      `the backend did not start within ${Math.round(readyTimeoutMs / 1000)} s`,
    )

    proc.onLog((line) => {
      recentLines.push(line)
      if (recentLines.length > 20) recentLines.shift()
      deps.log.info({ backend: line.length > 2000 ? `${line.slice(0, 2000)}…` : line })
    })
    proc.onMessage((raw) => {
      if (gen !== generation) return
      const parsed = childMessageSchema.safeParse(raw)
      if (!parsed.success) return
      const message = parsed.data
      if (message.type === 'ready' && !ready && !settled) {
        ready = true
        cancelReadyTimeout()
        stickyPort = Number(new URL(message.url).port) || stickyPort
        deps.log.info({ url: message.url, pid: proc.pid }, 'backend ready')
        setState({
          status: 'running',
          connection: { url: message.url, wsUrl: message.ws, token: config?.token ?? '', mode: 'embedded' },
        })
      } else if (message.type === 'upgrading' && !ready && !settled) {
        cancelReadyTimeout()
        cancelReadyTimeout = readyTimeout(
          upgradeTimeoutMs,
          `the backend's data upgrade did not finish within ${Math.round(upgradeTimeoutMs / 60_000)} min`,
        )
        upgrading = true
        const { from, to, tasks } = message
        deps.log.warn({ from, to, tasks, pid: proc.pid }, 'backend is upgrading its data dir')
        setState({ status: 'starting', upgrading: { from, to, tasks } })
      } else if (message.type === 'upgraded' && upgrading && !ready && !settled) {
        upgrading = false
        cancelReadyTimeout()
        cancelReadyTimeout = readyTimeout(
          readyTimeoutMs,
          `the backend did not start within ${Math.round(readyTimeoutMs / 1000)} s of upgrading its data`,
        )
        deps.log.info({ pid: proc.pid }, 'backend upgraded its data dir')
        setState({ status: 'starting' })
      } else if (message.type === 'error' && !ready) {
        lastError = `${message.code}: ${message.message}`
        // A port we asked for again may be taken by now: next time take any free port.
        if (message.code === 'EADDRINUSE') stickyPort = 0
      }
    })
    proc.onExit((code) => {
      resolveExit()
      if (child === proc) child = null
      cancelReadyTimeout()
      if (gen !== generation || settled) return
      settled = true
      const tail = recentLines.filter((l) => /error|fatal/i.test(l)).at(-1) ?? ''
      const why = lastError || (tail ? tail.slice(0, 300) : `exited with code ${code}`)
      deps.log.warn({ code, pid: proc.pid, ready }, 'backend exited')
      onDeath(gen, why, ready, upgrading)
    })
  }

  const onDeath = (gen: number, why: string, wasReady: boolean, upgradeFailed = false): void => {
    if (gen !== generation) return
    lastError = why
    if (upgradeFailed) {
      // Not retried on its own: each try takes minutes and rolls back what it did, so the crash
      // limit (deaths within a minute) would never end a loop of them. Retry starts it again.
      deps.log.error({ why }, 'the data upgrade did not complete; not restarting')
      setState({ status: 'failed', error: `The data upgrade did not complete: ${why}` })
      return
    }
    const t = now()
    crashes = [...crashes.filter((at) => at > t - crashLimit.windowMs), t]
    if (crashes.length >= crashLimit.count) {
      setState({
        status: 'failed',
        error: `The backend stopped ${crashes.length} times within ${Math.round(crashLimit.windowMs / 1000)} s (last: ${why})`,
      })
      return
    }
    const attempt = crashes.length
    const delay = backoffDelay(attempt, backoff.initialMs, backoff.maxMs, random)
    deps.log.warn({ attempt, delayMs: delay, wasReady, why }, 'restarting backend')
    setState({ status: 'restarting', attempt, inMs: delay, lastError: why })
    cancelTimer = setTimer(() => {
      cancelTimer = null
      if (gen !== generation) return
      lastError = ''
      spawn()
    }, delay)
  }

  /** Resolves when `exited` does, or after `ms` (false). */
  const within = (exited: Promise<void>, ms: number): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const cancel = setTimer(() => resolve(false), ms)
      void exited.then(() => {
        cancel()
        resolve(true)
      })
    })

  /** Hard kill, then wait for the exit at most `killTimeoutMs`. */
  const killAndWait = async (proc: BackendProcess, exited: Promise<void>): Promise<void> => {
    proc.kill(true)
    if (!(await within(exited, killTimeoutMs)))
      deps.log.error({ pid: proc.pid }, 'backend did not exit after a hard kill; giving up on it')
  }

  /** Stops the current child (shutdown message, hard kill after `stopTimeoutMs`, never waits
   * forever). Returns the generation it started, so a caller can tell it was superseded. */
  /** Invalidates the current child's callbacks and any pending restart timer. */
  const nextGeneration = (): number => {
    generation += 1
    cancelTimer?.()
    cancelTimer = null
    return generation
  }

  const stopChild = async (): Promise<number> => {
    const gen = nextGeneration()
    const proc = child
    child = null
    if (!proc) return gen
    const exited = childExited
    proc.send({ type: 'shutdown' })
    if (!(await within(exited, stopTimeoutMs))) {
      deps.log.warn({ pid: proc.pid }, 'backend did not stop in time; killing it')
      await killAndWait(proc, exited)
    }
    return gen
  }

  // start / restart / retry / stop run one at a time, in call order: two overlapping restarts
  // would otherwise both fork, and only the last child would be known (and stopped).
  // When nothing is queued an operation starts at once (synchronously up to its first await).
  let queue: Promise<void> = Promise.resolve()
  let pending = 0
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    pending += 1
    const run = pending === 1 ? op() : queue.then(op)
    queue = run.then(
      () => void (pending -= 1),
      () => void (pending -= 1),
    )
    return run
  }
  /** Stops what runs, then starts with the current config unless another stop came meanwhile. */
  const stopThenBegin = async (): Promise<{ running: Promise<Connection> }> => {
    const gen = child ? await stopChild() : nextGeneration()
    if (gen !== generation) return { running: waitRunning() }
    return { running: begin() }
  }

  const begin = (): Promise<Connection> => {
    crashes = []
    lastError = ''
    setState({ status: 'starting' })
    const running = waitRunning()
    spawn()
    return running
  }

  /** Bumped by every apply(): a queued apply that is no longer the latest has nothing to do. */
  let latestApply = 0

  return {
    apply(next) {
      const id = ++latestApply
      return serial(async () => {
        if (id !== latestApply) return // superseded by a later apply() queued behind this one
        if (next === null) {
          await stopChild()
          if (state.status !== 'stopped') setState({ status: 'stopped' })
          return
        }
        config = next
        // Not waiting for ready: its progress arrives as states.
        const { running } = await stopThenBegin()
        void running.catch(() => {})
      })
    },
    start(next) {
      // The ready wait is outside the queue: only stopping and forking are serialised.
      return serial(async () => {
        if (config && ['starting', 'running', 'restarting'].includes(state.status))
          return { running: waitRunning() }
        config = next
        return stopThenBegin()
      }).then((r) => r.running)
    },
    restart(next) {
      return serial(async () => {
        config = next
        return stopThenBegin()
      }).then((r) => r.running)
    },
    retry() {
      return serial(async () => {
        if (!config) throw new Error('backend was never started')
        return stopThenBegin()
      }).then((r) => r.running)
    },
    stop() {
      return serial(async () => {
        await stopChild()
        if (state.status !== 'stopped') setState({ status: 'stopped' })
      })
    },
    settled: () => queue,
    state: () => state,
    onState(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    pid: () => child?.pid,
  }
}

// ---- Adapters ---------------------------------------------------------------------------------

function pipeLines(stream: NodeJS.ReadableStream | null | undefined, cb: (line: string) => void): void {
  if (!stream) return
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', cb)
}

/** Electron: utilityProcess.fork (the child sees process.parentPort). */
export function utilityProcessFork(utilityProcess: UtilityProcessStatic): ForkFn {
  return (entry, args, env) => {
    const proc = utilityProcess.fork(entry, args, { env, stdio: 'pipe', serviceName: 'TaskPulse backend' })
    let exited = false
    proc.on('exit', () => (exited = true))
    return {
      get pid() {
        return proc.pid
      },
      onMessage: (cb) => void proc.on('message', cb),
      onExit: (cb) => void proc.on('exit', (code: number) => cb(code)),
      onLog: (cb) => {
        pipeLines(proc.stdout, cb)
        pipeLines(proc.stderr, cb)
      },
      send: (m) => {
        if (!exited) proc.postMessage(m)
      },
      kill: (hard) => {
        if (exited) return
        // utilityProcess.kill() is SIGTERM, which a stuck backend never acts on: a hard stop
        // needs SIGKILL (TerminateProcess on Windows).
        if (hard && proc.pid !== undefined) {
          try {
            process.kill(proc.pid, 'SIGKILL')
            return
          } catch {
            // already gone, or not ours any more: fall back to Electron's own kill
          }
        }
        proc.kill()
      },
    }
  }
}

/** Plain Node: child_process.fork (the child sees process.send); `execPath` picks the Node binary. */
export function nodeFork(opts: { execPath?: string } = {}): ForkFn {
  return (entry, args, env) => {
    const child = forkChild(entry, args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      ...(opts.execPath ? { execPath: opts.execPath } : {}),
    })
    child.on('error', () => {})
    return {
      get pid() {
        return child.pid
      },
      onMessage: (cb) => void child.on('message', cb),
      onExit: (cb) => void child.on('exit', (code) => cb(code)),
      onLog: (cb) => {
        pipeLines(child.stdout, cb)
        pipeLines(child.stderr, cb)
      },
      send: (m) => {
        if (child.connected) child.send(m as never)
      },
      kill: (hard) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(hard ? 'SIGKILL' : 'SIGTERM')
      },
    }
  }
}
