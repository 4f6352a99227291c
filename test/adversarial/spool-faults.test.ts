// The producer side under an unlucky operator and hostile input: `taskpulse hook` (the built CLI, as
// real processes) reading deeply nested JSON, a spool holding corrupt, truncated, binary and
// wrongly-typed entries, and a spool directory that cannot be created. A hook must never hurt the
// agent: exit 0, nothing on stdout, no stack trace; `hook flush` delivers what is valid, drops the
// rest with one line each, and ends.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Task } from '../../src-shared/protocol'
import { cliEnv, runCli } from '../helpers/agent-cli'
import { startBackend, tempDir, type Backend } from '../helpers/backend-process'
import { cleanupStack } from '../integration/resilience-helpers'

const cleanup = cleanupStack()
let backend: Backend
beforeAll(async () => {
  backend = cleanup.backend(await startBackend())
})
afterAll(() => cleanup.run())

const STACK = /\n\s+at .+:\d+:\d+/
const envFor = (extra: NodeJS.ProcessEnv) =>
  cliEnv({
    TASKPULSE_SERVER: backend.url,
    TASKPULSE_TOKEN: backend.token,
    TASKPULSE_STATE_DIR: cleanup.dir(tempDir('taskpulse-state-')),
    ...extra,
  })

describe('taskpulse hook and its spool under faults', () => {
  it('deeply nested JSON on stdin (200,000 levels, in every field the mapping reads): exit 0, silent', async () => {
    const env = envFor({})
    const d = 200_000
    const deepArray = `${'['.repeat(d)}${']'.repeat(d)}`
    const deepObject = `${'{"a":'.repeat(d / 4)}1${'}'.repeat(d / 4)}`
    const inputs = [
      `{"session_id":"deep-1","hook_event_name":"PreToolUse","cwd":"/tmp","tool_name":"Bash","tool_input":${deepArray}}`,
      `{"session_id":"deep-2","hook_event_name":"UserPromptSubmit","cwd":"/tmp","prompt":${deepObject}}`,
      `{"session_id":"deep-3","hook_event_name":"PostToolUse","cwd":"/tmp","tool_name":"Edit","tool_response":${deepObject},"tool_input":${deepArray}}`,
      `{"session_id":"deep-4","hook_event_name":"StopFailure","cwd":"/tmp","error":${deepObject}}`,
      deepArray,
    ]
    for (const stdin of inputs)
      for (const agent of ['claude-code', 'gemini']) {
        const r = await runCli(['hook', agent], { env, stdin })
        const what = `${agent} <<< ${stdin.slice(0, 80)}`
        expect(r.code, `${what}\n${r.stderr}`).toBe(0)
        expect(r.stdout.length, what).toBe(0)
        expect(r.stderr, what).not.toMatch(STACK)
      }
    // The same bodies over HTTP: a 2xx or a 4xx (413 past 1 MiB), never a 5xx.
    for (const body of inputs) {
      const res = await backend.api('/api/hooks/claude-code', { method: 'POST', body })
      expect(res.status, body.slice(0, 80)).toBeLessThan(500)
      await res.arrayBuffer()
    }
  }, 120_000)

  it('a spool of corrupt, truncated, binary and wrongly-typed entries: flush delivers the valid ones, drops the rest, ends', async () => {
    const spool = cleanup.dir(tempDir('taskpulse-spool-'))
    const entry = (n: number) => join(spool, `${String(n).padStart(15, '0')}-0000001-000001.json`)
    const at = new Date().toISOString()
    const valid = (id: string) =>
      JSON.stringify({
        task_id: id,
        event_id: `ev-${id}`,
        updated_at: at,
        fields: { status: 'running', title: id },
      })
    writeFileSync(entry(1), valid('spool-ok-1'))
    writeFileSync(entry(2), valid('spool-ok-2').slice(0, 40)) // truncated mid-write
    writeFileSync(entry(3), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 131) % 256))) // binary
    writeFileSync(entry(4), '') // empty
    writeFileSync(entry(5), JSON.stringify({ task_id: 'spool-str', event_id: 'e5', fields: 'status' }))
    writeFileSync(
      entry(6),
      JSON.stringify({ task_id: 'spool-arr', event_id: 'e6', updated_at: at, fields: [1, 2] }),
    )
    writeFileSync(
      entry(7),
      JSON.stringify({ task_id: '../../etc', event_id: 'e7', updated_at: at, fields: {} }),
    )
    writeFileSync(
      entry(8),
      JSON.stringify({
        task_id: 'x'.repeat(5000),
        event_id: 'e8',
        updated_at: at,
        fields: { status: 'running' },
      }),
    )
    writeFileSync(
      entry(9),
      JSON.stringify({
        task_id: 'spool-time',
        event_id: 'e9',
        updated_at: 'garbage',
        fields: { status: 'running' },
      }),
    )
    writeFileSync(entry(10), valid('spool-ok-3'))
    // Not entries (wrong names): left alone.
    writeFileSync(join(spool, 'notes.txt'), 'hello')
    writeFileSync(join(spool, '.tmp-123-1-abc'), '{"half":')

    const r = await runCli(['hook', 'flush'], {
      env: envFor({ TASKPULSE_SPOOL_DIR: spool }),
      timeoutMs: 60_000,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.length).toBe(0)
    expect(r.stderr).not.toMatch(STACK)
    // spool-ok-2 was cut mid-write: dropped as unreadable, not sent half.
    for (const id of ['spool-ok-1', 'spool-ok-3']) {
      const res = await backend.api(`/api/tasks/${id}`)
      expect(res.status, id).toBe(200)
      expect(((await res.json()) as Task).status).toBe('running')
    }
    // Each bad entry is reported on its own line and removed; nothing is left to block later flushes.
    expect(r.stderr.split('\n').filter((l) => /dropped|refused/.test(l)).length).toBeGreaterThanOrEqual(7)
    expect(readdirSync(spool).filter((n) => n.endsWith('.json'))).toEqual([])
    expect(readdirSync(spool)).toEqual(expect.arrayContaining(['notes.txt']))
  }, 120_000)

  it('a spool directory that cannot be created (below a file, under /sys): the hook exits 0 with one line', async () => {
    const fileDir = cleanup.dir(tempDir('taskpulse-file-'))
    const aFile = join(fileDir, 'a-file')
    writeFileSync(aFile, 'x')
    mkdirSync(join(fileDir, 'ok'))
    const event = JSON.stringify({
      session_id: 'spool-dir',
      hook_event_name: 'UserPromptSubmit',
      cwd: '/tmp',
      prompt: 'hi',
    })
    for (const spoolDir of [join(aFile, 'spool'), '/sys/taskpulse-spool']) {
      // Nothing listens on port 1: the update must go to the spool, which cannot be made.
      const r = await runCli(['hook', 'claude-code'], {
        env: envFor({ TASKPULSE_SERVER: 'http://127.0.0.1:1', TASKPULSE_SPOOL_DIR: spoolDir }),
        stdin: event,
        timeoutMs: 60_000,
      })
      expect(r.code, `${spoolDir}: ${r.stderr}`).toBe(0)
      expect(r.stdout.length).toBe(0)
      expect(r.stderr).not.toMatch(STACK)
      expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2)
      expect(r.stderr).toContain(spoolDir)
    }
  }, 120_000)

  it('a directory named like an entry and a "fields": null entry: flush reports each once, sends the rest, ends', async () => {
    const spool = cleanup.dir(tempDir('taskpulse-spool-'))
    const at = new Date().toISOString()
    const dirEntry = '000000000000005-0000001-000001.json'
    mkdirSync(join(spool, dirEntry))
    writeFileSync(
      join(spool, '000000000000006-0000001-000001.json'),
      JSON.stringify({ task_id: 'spool-null-fields', event_id: 'en', updated_at: at, fields: null }),
    )
    writeFileSync(
      join(spool, '000000000000007-0000001-000001.json'),
      JSON.stringify({
        task_id: 'spool-after-dir',
        event_id: 'ed',
        updated_at: at,
        fields: { status: 'running' },
      }),
    )
    // Before the fix this flush spun at 100% CPU, warning about the directory ~6,000 times a second:
    // the ceiling here is for that hang, not a speed check.
    const r = await runCli(['hook', 'flush'], {
      env: envFor({ TASKPULSE_SPOOL_DIR: spool }),
      timeoutMs: 60_000,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.length).toBe(0)
    expect(r.stderr).not.toMatch(STACK)
    const lines = r.stderr.trim().split('\n')
    expect(
      lines.filter((l) => l.includes(dirEntry)),
      r.stderr.slice(0, 2000),
    ).toHaveLength(1)
    expect(lines.filter((l) => /invalid spool entry/.test(l))).toHaveLength(1)
    expect(statSync(join(spool, `unreadable-${dirEntry}`)).isDirectory()).toBe(true)
    const sent = await backend.api('/api/tasks/spool-after-dir')
    expect(sent.status).toBe(200)
    await sent.arrayBuffer()
    // The null-fields entry must not have become an empty pending task.
    const empty = await backend.api('/api/tasks/spool-null-fields')
    expect(empty.status).toBe(404)
    await empty.arrayBuffer()
    // A second flush finds nothing left to complain about.
    const again = await runCli(['hook', 'flush'], { env: envFor({ TASKPULSE_SPOOL_DIR: spool }) })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr.trim().split('\n'), again.stderr).toHaveLength(1)
  }, 120_000)

  it('a spool or state dir under /proc/self (mkdir -p never ends there): the hook still exits 0', async () => {
    const event = JSON.stringify({
      session_id: 'proc-dir',
      hook_event_name: 'UserPromptSubmit',
      cwd: '/tmp',
      prompt: 'hi',
    })
    for (const extra of [
      { TASKPULSE_SPOOL_DIR: '/proc/self/spool' },
      { TASKPULSE_STATE_DIR: '/proc/self/taskpulse-state' },
    ]) {
      // Before the fix the process hung in a synchronous mkdir loop (its hard-stop timer never ran):
      // runCli's ceiling then kills it and the test fails.
      const r = await runCli(['hook', 'claude-code'], {
        env: envFor({ TASKPULSE_SERVER: 'http://127.0.0.1:1', ...extra }),
        stdin: event,
        timeoutMs: 60_000,
      })
      const what = JSON.stringify(extra)
      expect(r.code, `${what}: ${r.stderr}`).toBe(0)
      expect(r.stdout.length, what).toBe(0)
      expect(r.stderr, what).not.toMatch(STACK)
      expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2)
    }
  }, 120_000)

  it('a wrong token: the hook says so and leaves last-error in the spool; flush names the reason', async () => {
    const spool = cleanup.dir(tempDir('taskpulse-spool-'))
    const wrong = envFor({ TASKPULSE_SPOOL_DIR: spool, TASKPULSE_TOKEN: 'not-the-token' })
    const r = await runCli(['hook', 'claude-code'], {
      env: wrong,
      stdin: JSON.stringify({
        session_id: 'bad-token',
        hook_event_name: 'UserPromptSubmit',
        cwd: '/tmp',
        prompt: 'hi',
      }),
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.length).toBe(0)
    expect(r.stderr).toMatch(/refused the token \(HTTP 401\)/)
    // The hook's stderr is often hidden: the same reason waits in the spool dir.
    expect(readFileSync(join(spool, 'last-error'), 'utf8')).toMatch(/refused the token \(HTTP 401\)/)

    const flush = await runCli(['hook', 'flush'], { env: wrong })
    expect(flush.code, flush.stderr).toBe(1)
    expect(flush.stdout.length).toBe(0)
    expect(flush.stderr).toMatch(/sent 0, 1 left in .*\(stopped: the server refused the token \(HTTP 401\)/)

    const fixed = await runCli(['hook', 'flush'], { env: envFor({ TASKPULSE_SPOOL_DIR: spool }) })
    expect(fixed.code, fixed.stderr).toBe(0)
    expect(fixed.stderr).toMatch(/sent 1, 0 left/)
    expect(existsSync(join(spool, 'last-error'))).toBe(false)
  }, 120_000)
})
