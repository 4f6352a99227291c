// Runs the real backend (`node bin/taskpulse.js serve`, the built entry) as a child process on a
// free port, parses its ready line, and stops it. Also a small WebSocket client speaking the
// protocol, for assertions on what clients receive.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import WebSocket, { type RawData } from 'ws'
import type { ServerMessage, SnapshotMessage, TaskStatusUpdateMessage } from '../../src-shared/protocol'

/** A ws message as text: ws hands a Buffer, an ArrayBuffer or (fragmented) a Buffer[]. */
export function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8')
}

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..')
const BIN = join(REPO_ROOT, 'bin', 'taskpulse.js')

export interface Backend {
  url: string
  ws: string
  ui: string
  token: string
  port: number
  dataDir: string
  proc: ChildProcess
  stderr: () => string
  /** Sends a signal and waits for exit; resolves with the exit code (null when killed). */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  /** REST helper with the token. */
  api(path: string, init?: RequestInit): Promise<Response>
}

export interface StartBackendOptions {
  redisUrl?: string
  dataDir?: string
  token?: string
  port?: number
  extraArgs?: string[]
  env?: NodeJS.ProcessEnv
}

export function tempDir(prefix = 'taskpulse-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export async function startBackend(opts: StartBackendOptions = {}): Promise<Backend> {
  const dataDir = opts.dataDir ?? tempDir()
  const token = opts.token ?? 'test-token-' + Math.random().toString(36).slice(2)
  const args = [
    BIN,
    'serve',
    '--port',
    String(opts.port ?? 0),
    '--data-dir',
    dataDir,
    '--token',
    token,
    '--log-level',
    'warn',
  ]
  if (opts.redisUrl) args.push('--redis-url', opts.redisUrl)
  args.push(...(opts.extraArgs ?? []))
  const proc = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  })
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
  let stopRequested = false
  // A backend that dies on its own in the middle of a test leaves only ECONNREFUSED behind; say
  // how it ended and what it logged last (a test's own kill is a signal, not a crash).
  proc.once('exit', (code, signal) => {
    const crashed = (signal === null && code !== 0) || signal === 'SIGABRT' || signal === 'SIGSEGV'
    if (!stopRequested && crashed)
      console.error(
        `backend pid ${proc.pid} exited on its own (code ${code}, signal ${signal}); last stderr:\n${stderr.slice(-4000)}`,
      )
  })

  const ready = await new Promise<{ url: string; ws: string; ui: string }>((resolveReady, reject) => {
    const rl = createInterface({ input: proc.stdout })
    // A ceiling for a dead or hung start, not a speed check: a loaded 2-core CI machine can take
    // well over 15 s to start a Node process with its imports.
    const timer = setTimeout(() => reject(new Error(`backend not ready in 60 s; stderr:\n${stderr}`)), 60_000)
    rl.once('line', (line) => {
      clearTimeout(timer)
      try {
        resolveReady(JSON.parse(line) as { url: string; ws: string; ui: string })
      } catch {
        reject(new Error(`unexpected first stdout line: ${line}`))
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`backend exited (${code}) before ready; stderr:\n${stderr}`))
    })
  })
  const port = Number(new URL(ready.url).port)
  return {
    ...ready,
    token,
    port,
    dataDir,
    proc,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      stopRequested = true
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      return exited
    },
    api(path, init = {}) {
      const headers = new Headers(init.headers)
      headers.set('authorization', `Bearer ${token}`)
      if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json')
      return fetch(ready.url + path, { ...init, headers })
    },
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** A protocol client that records everything it receives. */
export interface TestClient {
  ws: WebSocket
  messages: ServerMessage[]
  updates(): TaskStatusUpdateMessage[]
  hello: Promise<{ epoch: string; seq: number }>
  send(msg: unknown): void
  closed: Promise<{ code: number }>
  close(): void
}

export function connectClient(
  wsUrl: string,
  token: string,
  opts: { subscribe?: boolean } = {},
): Promise<TestClient> {
  const ws = new WebSocket(`${wsUrl}?token=${encodeURIComponent(token)}`)
  const messages: ServerMessage[] = []
  let resolveHello!: (h: { epoch: string; seq: number }) => void
  const hello = new Promise<{ epoch: string; seq: number }>((r) => (resolveHello = r))
  const closed = new Promise<{ code: number }>((r) => ws.once('close', (code) => r({ code })))
  ws.on('message', (data) => {
    const msg = JSON.parse(rawText(data)) as ServerMessage
    messages.push(msg)
    if (msg.type === 'hello') {
      resolveHello({ epoch: msg.epoch, seq: msg.seq })
      if (opts.subscribe !== false) ws.send(JSON.stringify({ type: 'subscribe' }))
    }
  })
  const client: TestClient = {
    ws,
    messages,
    updates: () => messages.filter((m): m is TaskStatusUpdateMessage => m.type === 'task_status_update'),
    hello,
    send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
    closed,
    close: () => ws.close(),
  }
  return new Promise((resolveClient, reject) => {
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
    if (opts.subscribe === false) {
      ws.once('open', () => resolveClient(client))
      return
    }
    const onMsg = () => {
      if (messages.some((m) => m.type === 'subscribed')) {
        ws.off('message', onMsg)
        resolveClient(client)
      }
    }
    ws.on('message', onMsg)
  })
}

/** Waits for the last page of a snapshot; returns the pages of that snapshot, in order. */
export async function snapshotPages(c: TestClient, timeoutMs = 20_000): Promise<SnapshotMessage[]> {
  const pages = () => c.messages.filter((m): m is SnapshotMessage => m.type === 'snapshot')
  await waitFor(() => pages().some((p) => !p.more), 'the last snapshot page', timeoutMs)
  const all = pages()
  const last = all.findIndex((p) => !p.more)
  // The pages of the snapshot that ended there: back to the page after an earlier last page.
  let first = last
  while (first > 0 && all[first - 1]!.more) first--
  return all.slice(first, last + 1)
}
