// Delivery for `hook` and `exec` (to the target cli/target.ts finds): one update sent with a deadline, and the rule that keeps updates
// in order: every update joins the spool first, and the holder of the flush lock sends the spool
// oldest first.
import type { Agent as HttpAgent, IncomingMessage } from 'node:http'
import { http1Request, type Http1Response } from './http1-request'
import { flushSpool, type SendResult, type Spool, type SpooledUpdate } from './spool'
import type { Target } from './target'
import { sinceStartMs } from './clock'

export interface SendOutcome {
  result: SendResult
  detail?: string
  /** Unreachable only for lack of time (no answer yet): the target may well be up, just slow. */
  slow?: boolean
}

export interface Sender {
  send(u: SpooledUpdate, deadline: number): Promise<SendOutcome>
  close(): void
}

/** Statuses that mean "this update will never be accepted": drop it rather than retry forever. */
const REJECTED = new Set([400, 404, 409, 413, 415, 422])
/** The start of a send's detail when the server refused the token: kept, and said out loud. */
export const TOKEN_REFUSED = 'the server refused the token'

/**
 * Sends to an `http:` server with http1-request.ts (node:net; node:http costs a hook call ~10 ms of
 * CPU), to an `https:` one with node:https. Not fetch: undici's first use costs about as much CPU
 * as the rest of the call.
 */
export function httpSender(target: Extract<Target, { kind: 'http' }>): Sender {
  const tls = target.url.protocol === 'https:'
  // getBuiltinModule, not `import()`: the ESM facade of node:https reads every export, and its lazy
  // WebSocket/EventSource getters load undici (60-100 ms of CPU measured for a hook call).
  const https = tls ? process.getBuiltinModule('node:https') : null
  const agent: HttpAgent | undefined = https ? new https.Agent({ keepAlive: true, maxSockets: 1 }) : undefined
  const host = target.url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = Number(target.url.port) || (tls ? 443 : 80)

  /** One PUT; resolves with the status and the body's start, rejects with the socket's error. */
  const put = (path: string, headers: Record<string, string>, body: string, budget: number) =>
    new Promise<Http1Response>((resolve, reject) => {
      let giveUp = () => {}
      const timer = setTimeout(() => {
        giveUp()
        reject(Object.assign(new Error(`no answer within ${budget} ms`), { code: 'TIMEOUT' }))
      }, budget)
      const done = (r: Http1Response) => (clearTimeout(timer), resolve(r))
      const failed = (e: Error) => (clearTimeout(timer), reject(e))
      if (!https) {
        http1Request({ host, port, method: 'PUT', path, headers, body }, (socket) => {
          giveUp = () => socket.destroy()
        }).then(done, failed)
        return
      }
      const req = https.request(
        {
          host,
          port,
          path,
          method: 'PUT',
          agent,
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res: IncomingMessage) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => {
            if (text.length < 4096) text += c
          })
          res.on('end', () => done({ status: res.statusCode ?? 0, body: text }))
          res.on('error', () => failed(new Error('response broken')))
        },
      )
      giveUp = () => req.destroy()
      req.on('error', failed)
      req.end(body)
    })

  return {
    async send(u, deadline) {
      // `hook flush` and exec's last word have no budget: 10 s is then the ceiling per request.
      const budget = Math.min(Math.floor(deadline - sinceStartMs()), 10_000)
      if (budget <= 0) return { result: 'unreachable', detail: 'out of time', slow: true }
      const body = JSON.stringify({ ...u.fields, updated_at: u.updated_at, event_id: u.event_id })
      const path = new URL(`/api/tasks/${encodeURIComponent(u.task_id)}`, target.url).pathname
      let res: Http1Response
      try {
        // One ceiling for connect + response: a slow server costs the hook no more than its budget.
        res = await put(
          path,
          {
            authorization: `Bearer ${target.token}`,
            'x-taskpulse-source': 'cli',
            'content-type': 'application/json',
          },
          body,
          budget,
        )
      } catch (err) {
        const e = err as NodeJS.ErrnoException
        if (e.code === 'TIMEOUT') return { result: 'unreachable', detail: e.message, slow: true }
        // A socket error says enough by its code (ECONNREFUSED); an unreadable answer needs its text.
        return {
          result: 'unreachable',
          detail: e.code === 'EPROTO' ? `EPROTO: ${e.message}` : (e.code ?? e.message),
        }
      }
      if (res.status >= 200 && res.status < 300) return { result: 'ok' }
      // Kept in the spool (a fixed token sends it), but said plainly: it is not an outage.
      let detail =
        res.status === 401 || res.status === 403
          ? `${TOKEN_REFUSED} (HTTP ${res.status})`
          : `HTTP ${res.status}`
      try {
        detail += `: ${(JSON.parse(res.body) as { error: { message: string } }).error.message}`
      } catch {
        // keep the status alone
      }
      return { result: REJECTED.has(res.status) ? 'rejected' : 'unreachable', detail }
    },
    close() {
      agent?.destroy()
    },
  }
}

/** XADD + PUBLISH, as `emit --redis-url` sends; loads ioredis only on this path. */
export async function redisSender(target: Extract<Target, { kind: 'redis' }>): Promise<Sender> {
  const { Redis } = await import('ioredis')
  let client: InstanceType<typeof Redis> | null = null
  let broken = false
  const withDeadline = <T>(p: Promise<T>, ms: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
      p.then(
        (v) => (clearTimeout(t), resolve(v)),
        (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
      )
    })
  return {
    async send(u, deadline) {
      const budget = Math.min(Math.floor(deadline - sinceStartMs()), 10_000)
      if (broken) return { result: 'unreachable', detail: 'not connected' }
      if (budget <= 0) return { result: 'unreachable', detail: 'out of time', slow: true }
      try {
        if (!client) {
          client = new Redis(target.url, {
            lazyConnect: true,
            connectTimeout: Math.max(budget, 20),
            maxRetriesPerRequest: 0,
            enableOfflineQueue: false,
            retryStrategy: () => null,
          })
          client.on('error', () => undefined) // reported through the rejected command
          await withDeadline(client.connect(), budget)
        }
        const wire = JSON.stringify({
          task_id: u.task_id,
          ...u.fields,
          updated_at: u.updated_at,
          event_id: u.event_id,
        })
        const replies = await withDeadline(
          client
            .multi()
            .xadd(target.stream, 'MAXLEN', '~', '100000', '*', 'data', wire)
            .publish(target.channel, wire)
            .exec(),
          Math.max(1, Math.min(Math.floor(deadline - sinceStartMs()), 10_000)),
        )
        if (!replies || replies.some(([err]) => err)) throw new Error('transaction failed')
        return { result: 'ok' }
      } catch (err) {
        broken = true
        const message = (err as Error).message
        return { result: 'unreachable', detail: message, slow: message.startsWith('no answer within') }
      }
    },
    close() {
      client?.disconnect()
    },
  }
}

export async function openSender(target: Target): Promise<Sender> {
  return target.kind === 'http' ? httpSender(target) : redisSender(target)
}

export interface DeliveryOutcome {
  /** Sent now (directly or from the spool). */
  sent: number
  /** Waiting in the spool after this call. */
  spooled: number
  /**
   * Updates wait in the spool although TaskPulse answers (or is merely slow): worth a flush without
   * the hook's time budget. False when it refused the connection: then the next call tries again.
   */
  backlog: boolean
  /** Why sending stopped with updates left (also in the spool's last-error file). */
  stoppedBy?: string
}

/**
 * Delivers `updates` after everything already spooled, sending until `deadline`; what is not sent
 * by then stays in the spool. Never throws for an unreachable target.
 *
 * The updates are written to the spool BEFORE any network attempt and sent from there: a hook the
 * agent kills mid-send, or that reaches its own hard deadline (hook.ts), has lost nothing. The cost
 * is one small file written and removed per update (well under a millisecond); an update sent
 * whose file was not yet removed goes out again later and counts once (its event_id).
 */
export async function deliver(
  updates: readonly SpooledUpdate[],
  spool: Spool,
  sender: Sender,
  deadline: number,
  warn: (m: string) => void,
): Promise<DeliveryOutcome> {
  spool.append(updates)
  const lock = spool.tryLock()
  // Another process is sending: ours go out behind what it sends.
  if (!lock) return { sent: 0, spooled: updates.length, backlog: false }
  let answered = false
  const send = async (u: SpooledUpdate, d: number): Promise<SendOutcome> => {
    const outcome = await sender.send(u, d)
    if (outcome.result !== 'unreachable' || outcome.slow) answered = true
    return outcome
  }
  try {
    const outcome = await flushSpool(spool, send, deadline, lock, warn)
    // The trace a user can find when the hook's stderr is hidden: `hook flush` prints it too.
    if (outcome.stoppedBy) {
      spool.noteError(outcome.stoppedBy)
      if (outcome.stoppedBy.startsWith(TOKEN_REFUSED))
        warn(`${outcome.stoppedBy}; the update waits in ${spool.dir}`)
    } else if (outcome.left === 0) spool.noteError(null)
    return {
      sent: outcome.sent,
      spooled: outcome.left,
      backlog: outcome.left > 0 && answered,
      stoppedBy: outcome.stoppedBy,
    }
  } finally {
    lock.release()
  }
}

/**
 * TaskPulse answers but the spool did not drain within the budget (a backlog after an outage, a
 * slow machine): a detached `hook flush --background` sends the rest without a budget, while this
 * hook returns at once. It holds the flush lock, so other hooks meanwhile just queue behind it.
 * The target travels in the environment (a token on a command line shows in `ps`).
 */
export function startBackgroundFlush(target: Target): void {
  const bin = process.argv[1]
  if (!bin) return
  const env: NodeJS.ProcessEnv = { ...process.env }
  if (target.kind === 'http') {
    env.TASKPULSE_SERVER = target.url.href
    env.TASKPULSE_TOKEN = target.token
  } else {
    delete env.TASKPULSE_SERVER
    env.REDIS_URL = target.url
  }
  try {
    // Loaded only here: most hook calls never start a flush, and node:child_process costs start time.
    const { spawn } = process.getBuiltinModule('node:child_process')
    spawn(process.execPath, [bin, 'hook', 'flush', '--background'], {
      detached: true,
      stdio: 'ignore',
      env,
    }).unref()
  } catch {
    // the next hook call tries again
  }
}
