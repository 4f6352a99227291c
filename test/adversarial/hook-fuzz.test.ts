// Hostile hook input, through the built `taskpulse hook` as real processes: garbage JSON, wrong
// types, huge payloads, binary bytes. A hook must never hurt the agent: every call exits 0, writes
// nothing to stdout (an agent would read it as hook output), and never prints a stack trace. The
// same inputs posted to `POST /api/hooks/claude-code` get a 2xx or a 4xx with an error body, never
// a 500, and the server stays healthy.
import { spawn } from 'node:child_process'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, cliEnv, runCli } from '../helpers/agent-cli'
import { startBackend, tempDir, type Backend } from '../helpers/backend-process'
import { cleanupStack } from '../integration/resilience-helpers'

const cleanup = cleanupStack()
let backend: Backend
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  backend = cleanup.backend(await startBackend())
  env = cliEnv({
    TASKPULSE_SERVER: backend.url,
    TASKPULSE_TOKEN: backend.token,
    TASKPULSE_STATE_DIR: cleanup.dir(tempDir('taskpulse-state-')),
  })
})
afterAll(() => cleanup.run())

const STACK = /\n\s+at .+:\d+:\d+/

const eventNames = fc.constantFrom(
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'PermissionRequest',
  'Notification',
  'SubagentStart',
  'SubagentStop',
  'Stop',
  'StopFailure',
  'SessionEnd',
  'BeforeTool',
  'AfterTool',
  'AfterAgent',
)
/** Roughly the right shape, with any field of any type. */
const wrongTypes = fc.record(
  {
    session_id: fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.integer(),
      fc.constant(null),
      fc.array(fc.string()),
    ),
    hook_event_name: fc.oneof(eventNames, fc.jsonValue()),
    cwd: fc.oneof(fc.string(), fc.integer(), fc.constant('/'), fc.constant('../../../../etc')),
    tool_name: fc.oneof(fc.constantFrom('Bash', 'Edit', 'run_shell_command'), fc.jsonValue()),
    tool_input: fc.jsonValue(),
    prompt: fc.oneof(fc.string({ maxLength: 5000 }), fc.jsonValue()),
    agent_id: fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue()),
    notification_type: fc.jsonValue(),
    error: fc.jsonValue(),
  },
  { requiredKeys: [] },
)
const garbage = fc.oneof(
  fc.string({ maxLength: 2000 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  wrongTypes.map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b).toString('latin1')),
)

function expectHarmless(r: { code: number | null; stdout: Buffer; stderr: string }, what: string): void {
  expect(r.code, `${what}\nstderr: ${r.stderr}`).toBe(0)
  expect(r.stdout.length, what).toBe(0)
  expect(r.stderr, what).not.toMatch(STACK)
}

describe('taskpulse hook under hostile input', () => {
  it('garbage JSON and wrong types on stdin: exit 0, silent stdout, no stack trace (fast-check)', async () => {
    const tool = fc.constantFrom('claude-code', 'codex', 'gemini')
    await fc.assert(
      fc.asyncProperty(tool, garbage, async (t, input) => {
        expectHarmless(await runCli(['hook', t], { env, stdin: input }), `${t} <<< ${input.slice(0, 200)}`)
      }),
      // Each run is a Node process start: a few dozen cover the shapes without hogging the machine.
      { numRuns: 40 },
    )
  }, 600_000)

  it('garbage as the Codex notify argument: the same', async () => {
    await fc.assert(
      // An argument cannot hold a NUL byte (the OS ends it there; spawn refuses it outright).
      fc.asyncProperty(
        garbage.filter((arg) => !arg.includes('\0')),
        async (arg) => {
          expectHarmless(await runCli(['hook', 'codex', arg], { env }), `codex ${arg.slice(0, 200)}`)
        },
      ),
      { numRuns: 15 },
    )
  }, 300_000)

  // stdin is read with fs.read on fd 0 (src-backend/cli/hook.ts): a read that never returns must
  // not keep the process alive, and a terminal or /dev/null must not be waited on.
  it('stdin a writer never closes, and stdin that is /dev/null: exit 0, silent stdout, one line why', async () => {
    const run = (stdio: 'pipe' | 'ignore') =>
      new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve, reject) => {
        const proc = spawn(process.execPath, [BIN, 'hook', 'claude-code'], {
          env,
          stdio: [stdio, 'pipe', 'pipe'],
        })
        // Half an event, and the pipe held open (never ended) until the process is gone.
        proc.stdin?.write('{"session_id":"open-pipe","hook_event_name":"Pre')
        const out: Buffer[] = []
        let stderr = ''
        proc.stdout!.on('data', (d: Buffer) => out.push(d))
        proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
        // A ceiling for a hung process, not a speed check.
        const timer = setTimeout(() => {
          proc.kill('SIGKILL')
          reject(new Error(`hook with stdin ${stdio} did not exit; stderr: ${stderr}`))
        }, 60_000)
        proc.once('close', (code) => {
          clearTimeout(timer)
          resolve({ code, stdout: Buffer.concat(out), stderr })
        })
      })
    const open = await run('pipe')
    expectHarmless(open, 'stdin held open')
    expect(open.stderr).toMatch(/^taskpulse hook: the hook event is not JSON; ignored\n$/)
    const devNull = await run('ignore')
    expectHarmless(devNull, 'stdin /dev/null')
    expect(devNull.stderr).toMatch(/^taskpulse hook: no hook event on stdin\n$/)
  }, 130_000)

  it('huge input (16 MiB on stdin, a 2 MiB prompt) is survived', async () => {
    const huge = Buffer.alloc(16 * 1024 * 1024, 'x')
    expectHarmless(await runCli(['hook', 'claude-code'], { env, stdin: huge }), '16 MiB of x')
    const bigPrompt = JSON.stringify({
      session_id: 'big',
      hook_event_name: 'UserPromptSubmit',
      cwd: '/tmp',
      prompt: 'p'.repeat(2 * 1024 * 1024),
    })
    expectHarmless(await runCli(['hook', 'claude-code'], { env, stdin: bigPrompt }), '2 MiB prompt')
    // On a loaded machine parsing 2 MiB can use the hook's whole budget: the update then waits in
    // the spool (as it should); send it now, without a budget, before looking.
    const flushed = await runCli(['hook', 'flush'], { env })
    expect(flushed.code, flushed.stderr).toBe(0)
    const res = await backend.api('/api/tasks/claude-code:big')
    expect(res.status).toBe(200)
    expect(((await res.json()) as { title: string }).title.length).toBeLessThanOrEqual(80)
  }, 120_000)

  it('the HTTP route answers 2xx or 4xx with an error body, never 5xx (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          wrongTypes.map((v) => JSON.stringify(v)),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        async (body) => {
          const res = await backend.api('/api/hooks/claude-code', { method: 'POST', body })
          expect(res.status, body.slice(0, 200)).toBeLessThan(500)
          if (res.status >= 400) {
            const parsed = (await res.json()) as { error?: { code?: string } }
            expect(typeof parsed.error?.code).toBe('string')
          } else {
            await res.arrayBuffer()
          }
        },
      ),
      { numRuns: 300 },
    )
    expect((await backend.api('/api/health')).status).toBe(200)
  }, 300_000)
})
