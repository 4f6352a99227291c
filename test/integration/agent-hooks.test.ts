// Issue 11 "Must hold — Hooks", with real processes: recorded Claude Code, Codex and Gemini CLI
// sessions fed through `taskpulse hook <tool>` (the built entry) into the real built server on a
// real Redis; the same Claude Code session through `POST /api/hooks/claude-code`; the server
// stopped (every call exits 0, silent on stdout, its wall time measured) and restarted (the
// spooled updates arrive in order, exactly once); `hook install` run twice.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventList, Task } from '../../src-shared/protocol'
import { percentile, recordFigure } from '../adversarial/probes'
import {
  cliEnv,
  FIXTURE_CWD,
  loadFixture,
  makeGitRepo,
  runCli,
  runHookStep,
  type CliRun,
} from '../helpers/agent-cli'
import { startBackend, tempDir, waitFor, type Backend } from '../helpers/backend-process'
import { startRedis, type RedisServer } from '../helpers/redis-server'
import { cleanupStack } from './resilience-helpers'

const cleanup = cleanupStack()
let redis: RedisServer
let backend: Backend
let repo: string

beforeAll(async () => {
  redis = await startRedis()
  cleanup.add(() => redis.close())
  backend = cleanup.backend(await startBackend({ redisUrl: redis.url }))
  repo = makeGitRepo(cleanup.dir(tempDir('taskpulse-repo-')), 'git@github.com:acme/webshop.git')
})
afterAll(() => cleanup.run())

/**
 * The hook's environment. The mapping tests give it a generous budget: on a starved test machine
 * the default 150 ms can pass before a request is answered, and the update (rightly) waits in the
 * spool for a later call; the timing test below runs with the default budget.
 */
const hookEnv = (stateDir: string, extra: NodeJS.ProcessEnv = {}) =>
  cliEnv({
    TASKPULSE_SERVER: backend.url,
    TASKPULSE_TOKEN: backend.token,
    TASKPULSE_STATE_DIR: stateDir,
    TASKPULSE_HOOK_BUDGET_MS: '20000',
    ...extra,
  })

async function task(id: string): Promise<Task | null> {
  const res = await backend.api(`/api/tasks/${encodeURIComponent(id)}`)
  return res.status === 200 ? ((await res.json()) as Task) : null
}
async function events(id: string): Promise<EventList['events']> {
  const res = await backend.api(`/api/tasks/${encodeURIComponent(id)}/events?limit=1000`)
  expect(res.status).toBe(200)
  return ((await res.json()) as EventList).events
}
const statusesOf = async (id: string) =>
  (await events(id)).map((e) => e.fields.status).filter((s) => s !== undefined)

/** A hook call as the agent sees it: exit 0, nothing on stdout. */
function expectQuiet(r: CliRun): void {
  expect(r.code, r.stderr).toBe(0)
  expect(r.stdout.length, `stdout: ${r.stdout.toString()}`).toBe(0)
}

async function replay(tool: string, fixture: string, env: NodeJS.ProcessEnv): Promise<void> {
  for (const step of loadFixture(fixture, repo)) {
    const r = await runHookStep(tool, step, { env })
    expectQuiet(r)
    expect(r.stderr).toBe('')
  }
}

describe('taskpulse hook: recorded sessions through the real server', () => {
  it('Claude Code: one task running → waiting → running → completed, the sub-agent a child task', async () => {
    const env = hookEnv(cleanup.dir(tempDir('taskpulse-state-')))
    await replay('claude-code', 'claude-code-session.jsonl', env)
    const id = 'claude-code:9c1e6f0a-2b7d-4c55-9a3e-5f8d2c1b7e40'
    expect(await statusesOf(id)).toEqual(['running', 'waiting', 'running', 'completed'])
    const t = (await task(id))!
    expect(t).toMatchObject({ status: 'completed', assignee: 'claude-code@webshop', project_id: 'webshop' })
    expect(t.title).toMatch(/^The date parsing test in src\/dates\.test\.ts fails/)
    expect(t.output).toContain('Bash: npm test -- src/dates.test.ts')
    expect(t.output).toContain('Edit src/dates.ts')
    expect(t.output).toContain('Waiting: Permission needed: Bash: npm test -- src/dates.test.ts')
    const child = (await task(`${id}:a7f3c2e1`))!
    expect(child).toMatchObject({ parent_id: id, title: 'code-reviewer', status: 'completed' })
    expect(child.output).toContain('Grep: getTimezoneOffset')
  })

  it('Codex: lifecycle hooks on stdin and notify as the last argument make the same task shape', async () => {
    const env = hookEnv(cleanup.dir(tempDir('taskpulse-state-')))
    await replay('codex', 'codex-session.jsonl', env)
    const id = 'codex:019a4c2e-7d1b-7f30-8c55-3e9d0b2a6f18'
    expect(await statusesOf(id)).toEqual(['running', 'waiting', 'running', 'completed'])
    const t = (await task(id))!
    expect(t).toMatchObject({
      assignee: 'codex@webshop',
      project_id: 'webshop',
      title: 'Rename `foo` to `bar` and update the callsites.',
    })
    expect(t.output).toContain('Bash: cargo build')
    expect(await task(`${id}:019a4c2f-0c11-7a2b-9d3e-1f2a3b4c5d6e`)).toMatchObject({
      parent_id: id,
      title: 'explorer',
      status: 'completed',
    })
  })

  it('Codex notify alone gives a completed task titled by the first input message', async () => {
    const env = hookEnv(cleanup.dir(tempDir('taskpulse-state-')))
    await replay('codex', 'codex-notify-only.jsonl', env)
    expect(await task('codex:b5f6c1c2-1111-2222-3333-444455556666')).toMatchObject({
      status: 'completed',
      title: 'Rename `foo` to `bar` and update the callsites.',
      assignee: 'codex@webshop',
    })
  })

  it('Gemini CLI: running → waiting → running → completed', async () => {
    const env = hookEnv(cleanup.dir(tempDir('taskpulse-state-')))
    await replay('gemini', 'gemini-session.jsonl', env)
    const id = 'gemini:6b0e2f4c-93a1-4d7e-b2c8-0f1e2d3c4b5a'
    expect(await statusesOf(id)).toEqual(['running', 'waiting', 'running', 'completed'])
    const t = (await task(id))!
    expect(t).toMatchObject({ assignee: 'gemini@webshop', project_id: 'webshop' })
    expect(t.output).toContain('run_shell_command: sh scripts/deploy.sh --dry-run')
  })

  it('TASKPULSE_AGENT and TASKPULSE_PROJECT override the assignee and project', async () => {
    const env = hookEnv(cleanup.dir(tempDir('taskpulse-state-')), {
      TASKPULSE_AGENT: 'night-shift',
      TASKPULSE_PROJECT: 'ops',
    })
    const r = await runCli(['hook', 'claude-code'], {
      env,
      stdin: JSON.stringify({
        session_id: 'override-1',
        hook_event_name: 'UserPromptSubmit',
        cwd: repo,
        prompt: 'hi',
      }),
    })
    expectQuiet(r)
    expect(await task('claude-code:override-1')).toMatchObject({ assignee: 'night-shift', project_id: 'ops' })
  })

  it('reaches TaskPulse through Redis alone (REDIS_URL, no server)', async () => {
    const env = cliEnv({
      REDIS_URL: redis.url,
      TASKPULSE_STATE_DIR: cleanup.dir(tempDir('taskpulse-state-')),
      TASKPULSE_HOOK_BUDGET_MS: '20000',
    })
    const r = await runCli(['hook', 'gemini'], {
      env,
      stdin: JSON.stringify({
        session_id: 'via-redis',
        hook_event_name: 'BeforeAgent',
        cwd: repo,
        prompt: 'via redis',
      }),
    })
    expectQuiet(r)
    await waitFor(
      async () => (await task('gemini:via-redis'))?.status === 'running',
      'the update via Redis',
      30_000,
    )
  })
})

describe('POST /api/hooks/claude-code', () => {
  it('maps a recorded session exactly as the command does', async () => {
    const session = 'http-9c1e6f0a'
    for (const step of loadFixture('claude-code-session.jsonl', repo)) {
      const body = { ...step.payload, session_id: session }
      const res = await backend.api('/api/hooks/claude-code', { method: 'POST', body: JSON.stringify(body) })
      expect(res.status).toBe(204)
      expect(await res.text()).toBe('')
    }
    const id = `claude-code:${session}`
    expect(await statusesOf(id)).toEqual(['running', 'waiting', 'running', 'completed'])
    const t = (await task(id))!
    // The server does not read the request's paths: the directory's name stands for the repository.
    expect(t).toMatchObject({ assignee: `claude-code@${repo.split('/').at(-1)}` })
    expect(t.output).toContain('Edit src/dates.ts')
    expect(await task(`${id}:a7f3c2e1`)).toMatchObject({ parent_id: id, status: 'completed' })
  })

  it('takes the agent and project from headers', async () => {
    const res = await backend.api('/api/hooks/claude-code', {
      method: 'POST',
      headers: { 'x-taskpulse-agent': 'claude@laptop', 'x-taskpulse-project': 'webshop' },
      body: JSON.stringify({ session_id: 'hdr', hook_event_name: 'SessionStart', cwd: FIXTURE_CWD }),
    })
    expect(res.status).toBe(204)
    expect(await task('claude-code:hdr')).toMatchObject({ assignee: 'claude@laptop', project_id: 'webshop' })
  })

  it('refuses a missing token (401), a non-event (400), a non-JSON body (415), and ignores unmapped events', async () => {
    const noToken = await fetch(`${backend.url}/api/hooks/claude-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 's', hook_event_name: 'Stop' }),
    })
    expect(noToken.status).toBe(401)
    for (const body of ['[]', '{"session_id":5,"hook_event_name":"Stop"}', '"x"', '{}']) {
      const res = await backend.api('/api/hooks/claude-code', { method: 'POST', body })
      expect(res.status, body).toBe(400)
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/invalid/)
    }
    const text = await backend.api('/api/hooks/claude-code', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    })
    expect(text.status).toBe(415)
    const unmapped = await backend.api('/api/hooks/claude-code', {
      method: 'POST',
      body: JSON.stringify({ session_id: 'unmapped', hook_event_name: 'PreCompact', trigger: 'auto' }),
    })
    expect(unmapped.status).toBe(204)
    expect(await task('claude-code:unmapped')).toBeNull()
  })
})

describe('taskpulse hook with the server stopped', () => {
  it('exits 0 within its budget on every call; after a restart the spool arrives in order, exactly once', async () => {
    const stateDir = cleanup.dir(tempDir('taskpulse-state-'))
    const env = hookEnv(stateDir, { TASKPULSE_HOOK_BUDGET_MS: '' }) // the default budget
    const spoolDir = join(stateDir, 'spool')
    const spoolNames = () =>
      existsSync(spoolDir)
        ? readdirSync(spoolDir)
            .filter((n) => n.endsWith('.json'))
            .sort()
        : []
    const session = 'spooled-session'
    const call = (i: number) =>
      runCli(['hook', 'claude-code'], {
        env,
        stdin: JSON.stringify({
          session_id: session,
          hook_event_name: 'PreToolUse',
          cwd: repo,
          tool_name: 'Bash',
          tool_input: { command: `step ${i}` },
        }),
      })

    // Server up: the same calls, for the figures.
    const up: number[] = []
    for (let i = 0; i < 50; i++) {
      const r = await call(i)
      expectQuiet(r)
      up.push(r.ms)
    }

    // What a loaded machine left in the spool (a call past its budget) goes out now.
    const flushed = await runCli(['hook', 'flush'], { env })
    expect(flushed.code, flushed.stderr).toBe(0)
    expect(spoolNames()).toEqual([])

    const { dataDir, port, token } = backend
    expect(await backend.stop('SIGTERM')).toBe(0)
    const down: number[] = []
    for (let i = 50; i < 100; i++) {
      const r = await call(i)
      expectQuiet(r)
      down.push(r.ms)
    }
    const spooled = spoolNames().map(
      (n) => (JSON.parse(readFileSync(join(spoolDir, n), 'utf8')) as { event_id: string }).event_id,
    )
    expect(spooled).toHaveLength(50)

    const figures = {
      calls: 50,
      up_p50_ms: Math.round(percentile(up, 50)),
      up_p99_ms: Math.round(percentile(up, 99)),
      down_p50_ms: Math.round(percentile(down, 50)),
      down_p99_ms: Math.round(percentile(down, 99)),
    }
    recordFigure('agent-hooks', { test: 'hook wall time (process start to exit)', ...figures })
    console.log('hook wall time', figures)
    // A bound a hook that waited on the server would break, not a speed check: a full test run on
    // two busy cores has taken a bare Node start past 2 s.
    expect(Math.max(...up, ...down)).toBeLessThan(10_000)

    backend = cleanup.backend(await startBackend({ dataDir, port, token, redisUrl: redis.url }))
    // The next calls that can reach the server send the spool (a bounded amount each).
    let i = 100
    await waitFor(
      async () => {
        expectQuiet(await call(i++))
        return spoolNames().length === 0
      },
      'the spool to drain',
      60_000,
    )
    // The hook's updates only: on a slow machine the restarted backend's stale monitor may mark the
    // task stale (an event of its own, `stale:…`) before the spool drains.
    const arrived = (await events(`claude-code:${session}`))
      .map((e) => e.event_id)
      .filter((id) => !id.startsWith('stale:'))
    const replayed = arrived.filter((id) => spooled.includes(id))
    expect(replayed).toEqual(spooled) // in order, each once
    expect(new Set(arrived).size).toBe(arrived.length)
    expect(arrived).toHaveLength(i) // every call's update, none lost, none twice
    expect((await task(`claude-code:${session}`))!.output).toContain(`Bash: step ${i - 1}`)
  }, 300_000) // about 110 process starts on a busy 2-core machine

  it('gives up on a server that accepts and never answers; what it could not send waits in the spool, in order', async () => {
    const accepted = new Set<Socket>()
    const hanging = createServer((socket) => accepted.add(socket)) // accepts, never answers
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r))
    const closeHanging = () => {
      for (const socket of accepted) socket.destroy()
      hanging.close()
    }
    cleanup.add(closeHanging)
    const { port } = hanging.address() as AddressInfo
    const stateDir = cleanup.dir(tempDir('taskpulse-state-'))
    const env = hookEnv(stateDir, {
      TASKPULSE_SERVER: `http://127.0.0.1:${port}`,
      TASKPULSE_HOOK_BUDGET_MS: '',
    })
    const session = 'hang'
    const times: number[] = []
    for (let i = 0; i < 10; i++) {
      const r = await runCli(['hook', 'claude-code'], {
        env,
        stdin: JSON.stringify({
          session_id: session,
          hook_event_name: 'UserPromptSubmit',
          cwd: repo,
          prompt: `p${i}`,
        }),
      })
      expectQuiet(r)
      times.push(r.ms)
    }
    recordFigure('agent-hooks', {
      test: 'hook wall time, server hanging',
      calls: 10,
      p50_ms: Math.round(percentile(times, 50)),
      max_ms: Math.round(Math.max(...times)),
    })
    // Without its deadline a hook would wait for the socket (forever here): 10 s is far beyond it.
    expect(Math.max(...times)).toBeLessThan(10_000)
    expect(accepted.size).toBeGreaterThan(0) // the calls did reach the hanging server

    // Every call's update was spooled before the network was tried; none was lost to the hang.
    const spoolDir = join(stateDir, 'spool')
    const spooled = readdirSync(spoolDir)
      .filter((n) => n.endsWith('.json'))
      .sort()
      .map((n) => JSON.parse(readFileSync(join(spoolDir, n), 'utf8')) as { event_id: string })
      .map((u) => u.event_id)
    expect(spooled.length).toBeGreaterThanOrEqual(10)

    // The server answers again (here: the real one): the spool arrives in order, exactly once. A
    // background flush the hooks started against the hanging server gives up when it closes.
    closeHanging()
    const flushed = await runCli(['hook', 'flush'], { env: { ...env, TASKPULSE_SERVER: backend.url } })
    expect(flushed.code, flushed.stderr).toBe(0)
    const arrived = (await events(`claude-code:${session}`)).map((e) => e.event_id)
    expect(arrived).toEqual(spooled)
    expect((await task(`claude-code:${session}`))!.output).toContain('Prompt: p9')
  }, 120_000)

  it('a hook killed while it waits on the server has already spooled its update', async () => {
    let connected!: () => void
    const reached = new Promise<void>((r) => (connected = r))
    const accepted = new Set<Socket>()
    const hanging = createServer((socket) => {
      accepted.add(socket)
      connected()
    })
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r))
    cleanup.add(() => {
      for (const socket of accepted) socket.destroy()
      hanging.close()
    })
    const { port } = hanging.address() as AddressInfo
    const stateDir = cleanup.dir(tempDir('taskpulse-state-'))
    // A budget far beyond the test: only the kill ends this call (as an agent's own timeout would).
    const env = hookEnv(stateDir, { TASKPULSE_SERVER: `http://127.0.0.1:${port}` })
    const r = await runCli(['hook', 'claude-code'], {
      env,
      stdin: JSON.stringify({
        session_id: 'killed',
        hook_event_name: 'UserPromptSubmit',
        cwd: repo,
        prompt: 'x',
      }),
      onSpawn: (proc) => void reached.then(() => proc.kill('SIGKILL')),
    })
    expect(r.signal).toBe('SIGKILL')
    const spoolDir = join(stateDir, 'spool')
    const names = readdirSync(spoolDir).filter((n) => n.endsWith('.json'))
    expect(names).toHaveLength(1)
    const update = JSON.parse(readFileSync(join(spoolDir, names[0]!), 'utf8')) as { task_id: string }
    expect(update.task_id).toBe('claude-code:killed')

    // The next call that reaches TaskPulse sends it (a lock the killed process held is taken over
    // once stale; `hook flush` waits for that).
    const flushed = await runCli(['hook', 'flush'], { env: { ...env, TASKPULSE_SERVER: backend.url } })
    expect(flushed.code, flushed.stderr).toBe(0)
    expect((await task('claude-code:killed'))!.output).toContain('Prompt: x')
  }, 120_000)

  it('never writes to stdout or fails the agent, whatever the setup', async () => {
    const stateDir = cleanup.dir(tempDir('taskpulse-state-'))
    const event = JSON.stringify({ session_id: 's', hook_event_name: 'Stop', cwd: repo })
    for (const [args, env] of [
      [['hook', 'claude-code'], cliEnv({ TASKPULSE_STATE_DIR: stateDir })], // nothing configured
      [
        ['hook', 'claude-code', '--server', 'not a url', '--token', 't'],
        cliEnv({ TASKPULSE_STATE_DIR: stateDir }),
      ],
      [['hook', 'nope'], hookEnv(stateDir)],
      [['hook', 'claude-code', '--bogus'], hookEnv(stateDir)],
      [['hook'], hookEnv(stateDir)],
    ] as const) {
      const r = await runCli(args, { env, stdin: event })
      expectQuiet(r)
      expect(r.stderr).toMatch(/^taskpulse hook: |Usage/)
    }
  })
})

describe('taskpulse hook, many at once', () => {
  it('parallel hook processes (server up, then down and back) lose no update and send none twice', async () => {
    const stateDir = cleanup.dir(tempDir('taskpulse-state-'))
    const spoolDir = join(stateDir, 'spool')
    const session = 'parallel-session'
    const call = (i: number, env: NodeJS.ProcessEnv) =>
      runCli(['hook', 'claude-code'], {
        env,
        stdin: JSON.stringify({
          session_id: session,
          hook_event_name: 'PreToolUse',
          cwd: repo,
          tool_name: 'Bash',
          tool_input: { command: `parallel ${i}` },
        }),
      })
    // Up: 12 at once, as an agent firing hooks for parallel tool calls.
    const up = await Promise.all(Array.from({ length: 12 }, (_, i) => call(i, hookEnv(stateDir))))
    for (const r of up) expectQuiet(r)
    // Down: 12 more at once into the spool (a closed port stands in for the stopped server).
    const down = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(12 + i, hookEnv(stateDir, { TASKPULSE_SERVER: 'http://127.0.0.1:9' })),
      ),
    )
    for (const r of down) expectQuiet(r)
    const names = readdirSync(spoolDir).filter((n) => n.endsWith('.json'))
    expect(names.length).toBeGreaterThanOrEqual(12)
    for (const n of names) JSON.parse(readFileSync(join(spoolDir, n), 'utf8')) // whole files only
    const flushed = await runCli(['hook', 'flush'], { env: hookEnv(stateDir) })
    expect(flushed.code, flushed.stderr).toBe(0)
    const arrived = (await events(`claude-code:${session}`)).map((e) => e.event_id)
    expect(arrived).toHaveLength(24)
    expect(new Set(arrived).size).toBe(24)
  }, 180_000)
})

describe('taskpulse hook install', () => {
  it('run twice leaves one entry per event and the user’s own hooks intact; --uninstall removes only ours', async () => {
    const home = cleanup.dir(tempDir('taskpulse-home-'))
    const settingsFile = join(home, '.claude', 'settings.json')
    mkdirSync(join(home, '.claude'))
    const mine = {
      permissions: { allow: ['Bash(npm test:*)'] },
      hooks: {
        PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: '~/bin/guard.sh' }] }],
        Stop: [{ hooks: [{ type: 'command', command: 'say done' }] }],
      },
    }
    writeFileSync(settingsFile, JSON.stringify(mine, null, 2))
    const env = cliEnv({ HOME: home, CLAUDE_CONFIG_DIR: '' })
    for (let n = 0; n < 2; n++) {
      const r = await runCli(['hook', 'install', 'claude-code'], { env })
      expect(r.code, r.stderr).toBe(0)
    }
    const installed = JSON.parse(readFileSync(settingsFile, 'utf8')) as {
      permissions: unknown
      hooks: Record<string, { matcher?: string; hooks: { command: string }[] }[]>
    }
    expect(installed.permissions).toEqual(mine.permissions)
    const ours = (event: string) =>
      (installed.hooks[event] ?? [])
        .flatMap((g) => g.hooks)
        .filter((h) => h.command.includes('hook claude-code'))
    for (const event of [
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse',
      'PermissionRequest',
      'Notification',
      'Stop',
    ])
      expect(ours(event), event).toHaveLength(1)
    expect(installed.hooks.PreToolUse).toContainEqual(mine.hooks.PreToolUse[0])
    expect(installed.hooks.Stop).toContainEqual(mine.hooks.Stop[0])
    // The backup is the file as it was before our change.
    expect(JSON.parse(readFileSync(`${settingsFile}.taskpulse-backup`, 'utf8'))).toEqual(mine)

    // The installed command really runs the hook (quietly, exit 0).
    const command = ours('Stop')[0]!.command
    expect(command).toMatch(/taskpulse\.js'? hook claude-code$/)

    const r = await runCli(['hook', 'install', 'claude-code', '--uninstall'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual(mine)
  })

  it('codex gets hooks.json entries and a notify line; gemini its settings.json; --project writes the project’s files', async () => {
    const home = cleanup.dir(tempDir('taskpulse-home-'))
    const project = cleanup.dir(tempDir('taskpulse-project-'))
    mkdirSync(join(home, '.codex'))
    writeFileSync(
      join(home, '.codex', 'config.toml'),
      'model = "gpt-5-codex"\n\n[tui]\nnotifications = true\n',
    )
    const env = cliEnv({ HOME: home, CODEX_HOME: '' })
    for (let n = 0; n < 2; n++) expect((await runCli(['hook', 'install', 'codex'], { env })).code).toBe(0)
    const toml = readFileSync(join(home, '.codex', 'config.toml'), 'utf8')
    expect(toml.match(/^notify = \[.*"hook", "codex"\]$/gm)).toHaveLength(1)
    expect(toml).toContain('[tui]\nnotifications = true')
    expect(
      Object.keys(
        (JSON.parse(readFileSync(join(home, '.codex', 'hooks.json'), 'utf8')) as { hooks: object }).hooks,
      ),
    ).toContain('PermissionRequest')

    expect((await runCli(['hook', 'install', 'gemini', '--project'], { env, cwd: project })).code).toBe(0)
    const gemini = JSON.parse(readFileSync(join(project, '.gemini', 'settings.json'), 'utf8')) as {
      hooks: Record<string, { hooks: { command: string; timeout: number }[] }[]>
    }
    expect(gemini.hooks.BeforeTool![0]!.hooks[0]).toMatchObject({ timeout: 5000 })
    expect(gemini.hooks.BeforeTool![0]!.hooks[0]!.command).toMatch(/hook gemini$/)

    expect((await runCli(['hook', 'install', 'claude-code', '--project'], { env, cwd: project })).code).toBe(
      0,
    )
    expect(existsSync(join(project, '.claude', 'settings.local.json'))).toBe(true)
  })

  it('refuses to touch a settings file it cannot parse', async () => {
    const home = cleanup.dir(tempDir('taskpulse-home-'))
    mkdirSync(join(home, '.gemini'))
    writeFileSync(join(home, '.gemini', 'settings.json'), '{ "theme": "dark", ')
    const r = await runCli(['hook', 'install', 'gemini'], { env: cliEnv({ HOME: home }) })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/not valid JSON/)
    expect(readFileSync(join(home, '.gemini', 'settings.json'), 'utf8')).toBe('{ "theme": "dark", ')
  })
})
