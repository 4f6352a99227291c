// `taskpulse exec [options] -- cmd args…`: runs a command as a TaskPulse task, like `runitor` or
// `cronitor exec`. `running` at start, a heartbeat (the output tail) while it runs, `completed` or
// `failed` (exit code or signal, stderr tail) at the end.
//
// The command is what matters: its stdout and stderr pass through byte for byte (Buffers, with
// backpressure), stdin is its own, SIGINT/SIGTERM/SIGHUP reach it, and the wrapper exits with its
// status (128 + signal number when a signal ended it). TaskPulse being down or slow changes none of
// that: updates that cannot be delivered go to the spool (heartbeats are dropped instead: a late
// heartbeat says nothing).
import { spawn } from 'node:child_process'
import { constants, hostname } from 'node:os'
import { parseArgs } from 'node:util'
import { uuidv7 } from '../uuidv7'
import { cleanName, gitRepoName } from './agent-identity'
import { deliver, openSender, startBackgroundFlush, type Sender } from './delivery'
import { oneLine } from './hook-mapping'
import { flushSpool, openSpool, spoolDir, type Spool, type SpooledUpdate } from './spool'
import { resolveTarget, TARGET_OPTIONS } from './target'
import type { TaskFieldValues } from '../../src-shared/task-model'
import { sinceStartMs } from './clock'

export const EXEC_USAGE = `Usage: taskpulse exec [options] -- command [args…]

  --task ID          task id (default: exec-<uuid>; give one to keep a job's runs on one task)
  --title T          title (default: the command line)
  --project P        project (default: TASKPULSE_PROJECT, else the git repository's name)
  --agent A          assignee (default: TASKPULSE_AGENT, else exec@<host>)
  --schedule S       the schedule this run belongs to (schedule_id)
  --heartbeat SEC    seconds between heartbeats (default 30; env TASKPULSE_HEARTBEAT_SECONDS)
  --server URL --token T | --redis-url URL   where TaskPulse is (env TASKPULSE_SERVER, TASKPULSE_TOKEN, REDIS_URL)

Exits with the command's status (128 + signal number when a signal ended it).
`

export const EXEC_OPTIONS = {
  task: { type: 'string' },
  title: { type: 'string' },
  project: { type: 'string' },
  agent: { type: 'string' },
  schedule: { type: 'string' },
  heartbeat: { type: 'string' },
  ...TARGET_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const

/** Bytes of stdout and of stderr kept for the task (the protocol stores up to 64 KiB per field). */
const TAIL_BYTES = 8 * 1024
/** How long an update may take before it goes to the spool; the final one may take longer. */
const SEND_MS = 2_000
const FINAL_SEND_MS = 5_000
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** The last `max` bytes written to it, as text cut on a character boundary. */
export class ByteTail {
  private chunks: Buffer[] = []
  private size = 0
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.size += chunk.length
    while (this.size - this.chunks[0]!.length >= this.max) this.size -= this.chunks.shift()!.length
  }
  text(): string {
    let buf = Buffer.concat(this.chunks)
    if (buf.length > this.max) buf = buf.subarray(buf.length - this.max)
    let start = 0
    while (start < buf.length && start < 4 && (buf[start]! & 0xc0) === 0x80) start++ // mid-character
    return buf.subarray(start).toString('utf8')
  }
}

export async function exec(argv: readonly string[]): Promise<number> {
  const fail = (m: string) => {
    process.stderr.write(`taskpulse exec: ${m}\n`)
    return 2
  }
  const split = argv.indexOf('--')
  const own = split === -1 ? argv : argv.slice(0, split)
  const command = split === -1 ? [] : argv.slice(split + 1)
  let values
  try {
    values = parseArgs({
      args: [...own],
      options: EXEC_OPTIONS,
      strict: true,
      allowPositionals: false,
    }).values
  } catch (err) {
    return fail(`${(err as Error).message}\n${EXEC_USAGE}`)
  }
  if (values.help) {
    process.stdout.write(EXEC_USAGE)
    return 0
  }
  if (command.length === 0) return fail(`give the command after --\n${EXEC_USAGE}`)
  const heartbeatS = Number(values.heartbeat ?? process.env.TASKPULSE_HEARTBEAT_SECONDS ?? 30)
  if (!Number.isFinite(heartbeatS) || heartbeatS <= 0 || heartbeatS > 86400)
    return fail(`--heartbeat must be a number of seconds above 0 (got '${values.heartbeat}')`)
  if (values.task !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(values.task))
    return fail('--task must be 1-128 characters of A-Z a-z 0-9 . _ : -')
  if (values.schedule !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(values.schedule))
    return fail('--schedule must be 1-128 characters of A-Z a-z 0-9 . _ : -')

  const env = process.env
  const warn = (m: string) => process.stderr.write(`taskpulse exec: ${m}\n`)
  const target = resolveTarget(values, env)
  if (typeof target === 'string') warn(`${target}; running the command without reporting`)

  const taskId = values.task ?? `exec-${uuidv7()}`
  const commandLine = command.join(' ')
  const project = cleanName(values.project ?? env.TASKPULSE_PROJECT ?? gitRepoName(process.cwd()) ?? '', 128)
  let lastAt = 0
  const update = (fields: Partial<TaskFieldValues>): SpooledUpdate => {
    const now = Date.now()
    lastAt = Math.max(now, lastAt + 1) // strictly increasing: last-writer-wins keeps their order
    return { task_id: taskId, event_id: uuidv7(now), updated_at: new Date(lastAt).toISOString(), fields }
  }

  // ---- reporting (never in the command's way) ----
  let sender: Sender | null = null
  let spool: Spool | null = null
  if (typeof target !== 'string') {
    spool = openSpool({ dir: spoolDir(env), maxEntries: Number(env.TASKPULSE_SPOOL_MAX) || undefined, warn })
    try {
      sender = await openSender(target)
    } catch (err) {
      warn(`cannot report: ${(err as Error).message}`)
    }
  }
  /** Sends run one after another, so they leave in the order they were made. */
  let chain: Promise<unknown> = Promise.resolve()
  const report = (u: SpooledUpdate, sendMs = SEND_MS) => {
    if (!sender || !spool || typeof target === 'string') return
    const s = sender
    const sp = spool
    const t = target
    chain = chain
      .then(async () => {
        const outcome = await deliver([u], sp, s, sinceStartMs() + sendMs, warn)
        // TaskPulse answers, only slowly: the spool goes out in the background, not in our way.
        if (outcome.backlog && u.fields.status !== 'running') startBackgroundFlush(t)
      })
      .catch((err: unknown) => warn(`cannot report or spool: ${(err as Error).message}`))
  }
  const heartbeat = (u: SpooledUpdate) => {
    if (!sender || !spool) return
    const s = sender
    const sp = spool
    chain = chain
      .then(async () => {
        const lock = sp.tryLock()
        if (!lock) return // someone is flushing: skip this beat
        try {
          const deadline = sinceStartMs() + SEND_MS
          if (
            sp.list().length > 0 &&
            (await flushSpool(sp, (x, d) => s.send(x, d), deadline, lock, warn)).left > 0
          )
            return // still unreachable: a heartbeat is not worth spooling
          await s.send(u, deadline)
        } finally {
          lock.release()
        }
      })
      .catch(() => undefined)
  }

  report(
    update({
      status: 'running',
      title: oneLine(values.title ?? commandLine, 1024),
      description: commandLine,
      assignee: cleanName(values.agent ?? env.TASKPULSE_AGENT ?? `exec@${hostname()}`, 256),
      ...(project && { project_id: project }),
      ...(values.schedule && { schedule_id: values.schedule }),
      // A few heartbeats without news and the task shows as stale.
      stale_after_seconds: Math.max(1, Math.ceil(heartbeatS * 3)),
      output: null,
      error: null,
    }),
  )

  // ---- the command ----
  const stdoutTail = new ByteTail(TAIL_BYTES)
  const stderrTail = new ByteTail(TAIL_BYTES)
  const child = spawn(command[0]!, command.slice(1), { stdio: ['inherit', 'pipe', 'pipe'] })
  const pipeThrough = (from: NodeJS.ReadableStream, to: NodeJS.WriteStream, tail: ByteTail) => {
    from.on('data', (chunk: Buffer) => {
      tail.push(chunk)
      if (!to.write(chunk)) {
        from.pause()
        to.once('drain', () => from.resume())
      }
    })
  }
  pipeThrough(child.stdout, process.stdout, stdoutTail)
  pipeThrough(child.stderr, process.stderr, stderrTail)

  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  }
  const handlers = FORWARDED_SIGNALS.map((s) => [s, forward(s)] as const)
  for (const [s, h] of handlers) process.on(s, h)

  const timer = setInterval(() => heartbeat(update({ output: stdoutTail.text() || null })), heartbeatS * 1000)

  const ended = await new Promise<{
    code: number | null
    signal: NodeJS.Signals | null
    spawnError?: NodeJS.ErrnoException
  }>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve({ code: null, signal: null, spawnError: err }),
    )
    // 'close': the process ended AND its output is all read (so the tails are complete).
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  clearInterval(timer)
  for (const [s, h] of handlers) process.off(s, h)

  let status: number
  let error: string | null
  if (ended.spawnError) {
    const notFound = ended.spawnError.code === 'ENOENT'
    status = notFound ? 127 : 126
    error = `cannot run ${command[0]}: ${notFound ? 'command not found' : (ended.spawnError.code ?? ended.spawnError.message)}`
    process.stderr.write(`taskpulse exec: ${error}\n`)
  } else if (ended.signal) {
    status = 128 + (constants.signals[ended.signal] ?? 0)
    error = `killed by ${ended.signal}`
  } else {
    status = ended.code ?? 1
    error = status === 0 ? null : `exit code ${status}`
  }
  const stderrText = stderrTail.text()
  report(
    update({
      status: status === 0 ? 'completed' : 'failed',
      output: stdoutTail.text() || null,
      error: error === null ? null : stderrText ? `${error}\n${stderrText}` : error,
    }),
    FINAL_SEND_MS,
  )
  await chain
  sender?.close()
  return status
}
