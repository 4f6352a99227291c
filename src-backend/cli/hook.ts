// `taskpulse hook <claude-code|codex|gemini>`: run by an agent CLI on each of its hook events.
// Reads the event (stdin; for Codex `notify`, the last argument), turns it into task updates and
// sends them, or spools them when TaskPulse cannot be reached in time.
//
// A hook must never hurt the agent: it always exits 0, writes nothing to stdout (Claude Code adds a
// SessionStart or UserPromptSubmit hook's stdout to the model's context; Gemini CLI parses it as
// JSON), and returns within its budget (TASKPULSE_HOOK_BUDGET_MS, default 150 ms after the process
// started, which leaves room under the 200 ms the issue allows). Diagnostics go to stderr, one line.
// Only node built-ins and the small mapping modules load on this path: no zod, no pino.
import { readdirSync, statSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { uuidv7 } from '../uuidv7'
import { agentIdentity } from './agent-identity'
import { deliver, openSender, startBackgroundFlush, type Sender } from './delivery'
import { isAgentTool, normalizeHookPayload, reduceAgentEvent, sessionTaskId } from './hook-mapping'
import { openHookSession } from './hook-session'
import { openSpool, spoolDir, stateDir, type SpooledUpdate } from './spool'
import { resolveTarget, TARGET_OPTIONS } from './target'
import { sinceStartMs } from './clock'

export const HOOK_USAGE = `Usage:
  taskpulse hook claude-code|codex|gemini [--server URL --token T | --redis-url URL]
      reads one hook event (stdin; Codex notify: the last argument) and reports it; always exits 0
  taskpulse hook install claude-code|codex|gemini [--project] [--uninstall] [--command CMD]
      adds (or removes) TaskPulse's entries in that tool's settings (a backup is written first)
  taskpulse hook flush [--server URL --token T | --redis-url URL]
      sends everything spooled now (no time budget)

  env: TASKPULSE_SERVER, TASKPULSE_TOKEN, REDIS_URL, TASKPULSE_AGENT (assignee), TASKPULSE_PROJECT,
       TASKPULSE_SPOOL_DIR, TASKPULSE_SPOOL_MAX, TASKPULSE_STATE_DIR, TASKPULSE_HOOK_BUDGET_MS
`

/** Bytes of hook input read; a bigger payload is not an event we can use (and must not stall us). */
const MAX_INPUT_BYTES = 4 * 1024 * 1024
/** Stdin that never ends (a terminal, a stuck writer) is given up on after this. */
const STDIN_WAIT_MS = 1_000
const DEFAULT_BUDGET_MS = 150
const MIN_SEND_MS = 50
/** After the send deadline, the little time left to return normally (or start a background flush). */
const HARD_EXIT_GRACE_MS = 25
const SESSION_MAX_AGE_MS = 7 * 24 * 3600 * 1000

export const HOOK_OPTIONS = {
  ...TARGET_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const

const warn = (m: string) => {
  process.stderr.write(`taskpulse hook: ${m}\n`)
}

/**
 * All of stdin, through process.stdin. Not fs.read on fd 0, though it costs ~4 ms less CPU: a read
 * that a writer never ends blocks a libuv pool thread, and process.exit then waits forever to
 * join it (found by test/adversarial/hook-fuzz.test.ts). A stream can be destroyed.
 */
function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return Promise.resolve('')
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      process.stdin.pause()
      process.stdin.removeAllListeners('data')
      process.stdin.destroy()
      resolve(size > MAX_INPUT_BYTES ? '' : Buffer.concat(chunks).toString('utf8'))
    }
    const timer = setTimeout(finish, STDIN_WAIT_MS)
    process.stdin.on('data', (c: Buffer) => {
      size += c.length
      // Keep reading (the writer must not block on a full pipe) but keep nothing past the cap.
      if (size <= MAX_INPUT_BYTES) chunks.push(c)
      else chunks.length = 0
    })
    process.stdin.once('end', finish)
    process.stdin.once('error', finish)
  })
}

/**
 * The deadline for sending (a sinceStartMs() time, i.e. ms since the process started): the
 * budget, but never less than MIN_SEND_MS from now — on a starved machine Node's own start can use
 * the whole budget, and a hook that then never tried would only ever spool.
 */
function sendDeadline(env: NodeJS.ProcessEnv): number {
  const n = Number(env.TASKPULSE_HOOK_BUDGET_MS)
  const budget = Number.isFinite(n) && n > 0 ? n : DEFAULT_BUDGET_MS
  return Math.max(budget, sinceStartMs() + MIN_SEND_MS)
}

/** Now and then, sessions untouched for a week are forgotten (their tasks live on in TaskPulse). */
function pruneSessions(dir: string): void {
  if (Math.random() > 0.02) return
  try {
    const cutoff = Date.now() - SESSION_MAX_AGE_MS
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).mtimeMs < cutoff) unlinkSync(path)
    }
  } catch {
    // best effort
  }
}

export async function hook(argv: readonly string[]): Promise<number> {
  const [first] = argv
  if (first === 'install') return (await import('./hook-install')).hookInstall(argv.slice(1))
  if (first === 'flush') return flushCommand(argv.slice(1))
  // From here on, whatever happens, the agent sees exit 0 and an empty stdout.
  const onFatal = (err: unknown) => {
    warn(`internal error: ${(err as Error)?.message ?? String(err)}`)
    process.exit(0)
  }
  process.on('uncaughtException', onFatal)
  process.on('unhandledRejection', onFatal)
  try {
    await runHook(argv)
  } catch (err) {
    warn(`internal error: ${(err as Error)?.message ?? String(err)}`)
  }
  return 0
}

async function runHook(argv: readonly string[]): Promise<void> {
  const env = process.env
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: HOOK_OPTIONS, strict: true, allowPositionals: true })
  } catch (err) {
    warn(`${(err as Error).message}\n${HOOK_USAGE}`)
    return
  }
  const [tool, ...rest] = parsed.positionals
  if (parsed.values.help || tool === undefined) {
    process.stderr.write(HOOK_USAGE)
    return
  }
  if (!isAgentTool(tool)) {
    warn(`unknown tool '${tool}' (claude-code, codex or gemini)`)
    return
  }
  // Codex notify passes its JSON as the last argument; every other hook writes it to stdin.
  const argJson = tool === 'codex' ? rest.at(-1) : undefined
  const raw = argJson ?? (await readStdin())
  let payload: unknown
  try {
    payload = JSON.parse(raw)
  } catch {
    warn(raw.trim() === '' ? 'no hook event on stdin' : 'the hook event is not JSON; ignored')
    return
  }
  const event = normalizeHookPayload(tool, payload)
  if (!event) return // an event we do not map (or not an event at all): nothing to report

  const target = resolveTarget(parsed.values, env)
  if (typeof target === 'string') {
    warn(target)
    return
  }
  const identity = agentIdentity(tool, event.cwd ?? process.cwd(), {
    agent: env.TASKPULSE_AGENT,
    project: env.TASKPULSE_PROJECT,
  })
  const sessionsDir = join(stateDir(env), 'hook-sessions')
  const session = openHookSession(sessionsDir, sessionTaskId(event.tool, event.session))
  let updates: SpooledUpdate[]
  try {
    const reduction = reduceAgentEvent(event, identity, (id) => session.recall(id))
    session.remember(reduction.memories)
    const now = Date.now()
    updates = reduction.updates.map((u) => ({
      task_id: u.task_id,
      event_id: uuidv7(now),
      updated_at: session.stamp(now),
      fields: u.fields,
    }))
  } finally {
    session.close()
  }
  pruneSessions(sessionsDir)
  if (updates.length === 0) return

  const spool = openSpool({ dir: spoolDir(env), maxEntries: spoolMax(env), warn })
  const deadline = sendDeadline(env)
  // The hard stop: whatever the network does (a socket we failed to close, a timer left behind),
  // the process exits 0 shortly after its deadline. deliver() spools the updates before it tries
  // the network, so nothing is lost. One thing it cannot cut short: a host name whose DNS lookup
  // hangs holds a libuv pool thread, and exit waits for that thread (docs/integrations.md).
  // An IP address or `localhost` (resolved from the hosts file) never waits on DNS.
  setTimeout(() => process.exit(0), Math.max(0, deadline - sinceStartMs()) + HARD_EXIT_GRACE_MS).unref()
  let sender: Sender | null = null
  try {
    sender = await openSender(target)
    const outcome = await deliver(updates, spool, sender, deadline, warn)
    if (outcome.backlog) startBackgroundFlush(target)
  } catch (err) {
    // Delivery itself broke (a full disk for the spool, ...): say so; the agent goes on regardless.
    warn(`could not deliver or spool: ${(err as Error).message}`)
  } finally {
    sender?.close()
  }
}

function spoolMax(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env.TASKPULSE_SPOOL_MAX)
  return Number.isInteger(n) && n > 0 ? n : undefined
}

/** Most a background flush runs; what is left then waits for the next hook call. */
const BACKGROUND_FLUSH_MS = 60_000
/** How long a foreground flush waits for another process's flush to finish. */
const FOREGROUND_WAIT_MS = 30_000

/** `taskpulse hook flush`: sends the whole spool now; exit 1 when something is left. */
async function flushCommand(argv: readonly string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: [...argv],
      options: { ...HOOK_OPTIONS, background: { type: 'boolean' } },
      strict: true,
    }).values
  } catch (err) {
    warn(`${(err as Error).message}\n${HOOK_USAGE}`)
    return 2
  }
  const target = resolveTarget(values, process.env)
  if (typeof target === 'string') {
    warn(target)
    return 2
  }
  const spool = openSpool({ dir: spoolDir(process.env), maxEntries: spoolMax(process.env), warn })
  const sender = await openSender(target)
  try {
    if (values.background) {
      await deliver([], spool, sender, sinceStartMs() + BACKGROUND_FLUSH_MS, warn)
      return 0
    }
    // In the foreground, wait for a flush already running (another process holds the lock) rather
    // than report a spool that is draining as stuck.
    let sent = 0
    let stoppedBy: string | undefined
    const until = sinceStartMs() + FOREGROUND_WAIT_MS
    for (;;) {
      const outcome = await deliver([], spool, sender, Number.POSITIVE_INFINITY, warn)
      sent += outcome.sent
      stoppedBy = outcome.stoppedBy
      if (spool.list().length === 0 || sinceStartMs() > until) break
      // Left over although this process held the lock: TaskPulse stopped answering. (Without the
      // lock, `spooled` is 0: another process is sending; wait for it.)
      if (outcome.spooled > 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const left = spool.list().length
    // Say why something is left (a wrong token must not look like "try again later").
    const why = left > 0 ? (stoppedBy ?? spool.lastError()) : null
    process.stderr.write(
      `taskpulse hook flush: sent ${sent}, ${left} left in ${spool.dir}${why ? ` (stopped: ${why})` : ''}\n`,
    )
    return left === 0 ? 0 : 1
  } finally {
    sender.close()
  }
}
