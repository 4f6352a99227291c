import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { BackendState } from '../../src-shared/ipc'
import {
  childInvocation,
  createBackendSupervisor,
  utilityProcessFork,
  type BackendProcess,
  type EmbeddedConfig,
} from './backend-supervisor'
import { createFakeElectron } from '../../test/fakes/main/fake-electron'
import { manualClock } from '../../test/fakes/main/fixtures'

class FakeChild implements BackendProcess {
  pid = Math.floor(Math.random() * 1e6)
  messages: ((m: unknown) => void)[] = []
  exits: ((c: number | null) => void)[] = []
  logs: ((l: string) => void)[] = []
  received: unknown[] = []
  killed: boolean[] = []
  alive = true
  /** A stuck child: ignores the shutdown message / a kill (a test ends it with exit()). */
  ignoresShutdown = false
  ignoresKill = false
  constructor(
    readonly args: string[],
    readonly env: Record<string, string>,
  ) {}
  onMessage(cb: (m: unknown) => void) {
    this.messages.push(cb)
  }
  onExit(cb: (c: number | null) => void) {
    this.exits.push(cb)
  }
  onLog(cb: (l: string) => void) {
    this.logs.push(cb)
  }
  send(m: unknown) {
    this.received.push(m)
    if ((m as { type: string }).type === 'shutdown' && !this.ignoresShutdown) this.exit(0)
  }
  kill(hard?: boolean) {
    this.killed.push(Boolean(hard))
    if (!this.ignoresKill) this.exit(null)
  }
  // test side
  ready(port = 4000) {
    for (const cb of this.messages)
      cb({ type: 'ready', url: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/ws`, ui: '' })
  }
  upgrading(tasks: number) {
    for (const cb of this.messages) cb({ type: 'upgrading', from: 7, to: 8, tasks })
  }
  upgraded() {
    for (const cb of this.messages) cb({ type: 'upgraded' })
  }
  fail(code: string, message: string) {
    for (const cb of this.messages) cb({ type: 'error', code, message })
  }
  log(line: string) {
    for (const cb of this.logs) cb(line)
  }
  exit(code: number | null) {
    if (!this.alive) return
    this.alive = false
    for (const cb of this.exits) cb(code)
  }
}

const config: EmbeddedConfig = {
  dataDir: '/data',
  token: 'tok-abcdefgh',
  redisUrl: 'redis://:pw@r:6379',
  allowedOrigins: ['app://taskpulse'],
}
const tick = () => new Promise<void>((r) => setImmediate(r))
/** The supervisor gave up with `error` and forks nothing more on its own, even an hour later. */
function expectFailedWithoutRestart(
  t: { sup: { state(): BackendState }; clock: ReturnType<typeof manualClock>; children: FakeChild[] },
  error: string,
): void {
  expect(t.sup.state()).toEqual({ status: 'failed', error })
  const forked = t.children.length
  t.clock.advance(3_600_000)
  expect(t.children).toHaveLength(forked)
}
/** The child lives until `ms` from now on the manual clock, and is hard-killed at `ms`. */
function expectKilledAt(child: FakeChild, clock: ReturnType<typeof manualClock>, ms: number): void {
  clock.advance(ms - 1)
  expect(child.alive).toBe(true)
  clock.advance(1)
  expect(child.killed).toEqual([true])
}
const silent = { info() {}, warn() {}, error() {} }

function setup(
  opts: {
    readyTimeoutMs?: number
    upgradeTimeoutMs?: number
    stuck?: { shutdown?: boolean; kill?: boolean }
  } = {},
) {
  const clock = manualClock()
  const children: FakeChild[] = []
  const states: BackendState[] = []
  const sup = createBackendSupervisor({
    fork: (_entry, args, env) => {
      const c = new FakeChild(args, env)
      c.ignoresShutdown = opts.stuck?.shutdown ?? false
      c.ignoresKill = opts.stuck?.kill ?? false
      children.push(c)
      return c
    },
    entry: '/app/out/backend/child.js',
    log: silent,
    baseEnv: { PATH: '/bin', REDIS_URL: 'redis://wrong', PORT: '1' },
    now: clock.now,
    setTimer: clock.setTimer,
    random: () => 1, // no jitter reduction: delays are the full step
    readyTimeoutMs: opts.readyTimeoutMs ?? 10_000,
    ...(opts.upgradeTimeoutMs ? { upgradeTimeoutMs: opts.upgradeTimeoutMs } : {}),
    stopTimeoutMs: 2_000,
    killTimeoutMs: 1_000,
    backoff: { initialMs: 500, maxMs: 4_000 },
    crashLimit: { count: 5, windowMs: 60_000 },
  })
  sup.onState((s) => states.push(s))
  const last = () => children.at(-1) as FakeChild
  return { clock, children, states, sup, last }
}

describe('backend supervisor (policy, fake child)', () => {
  it('passes serve flags, keeps secrets in the environment, drops conflicting variables', () => {
    const { args, env } = childInvocation(config, 0, {
      PATH: '/bin',
      PORT: '9',
      REDIS_URL: 'redis://x',
      TASKPULSE_TOKEN: 'other',
    })
    expect(args).toEqual(['--port', '0', '--data-dir', '/data', '--allowed-origins', 'app://taskpulse'])
    expect(args.join(' ')).not.toContain('pw')
    expect(env).toEqual({ PATH: '/bin', TASKPULSE_TOKEN: 'tok-abcdefgh', REDIS_URL: 'redis://:pw@r:6379' })
  })

  it('resolves start with the connection once the child is ready', async () => {
    const { sup, last, states } = setup()
    const started = sup.start(config)
    expect(sup.state()).toEqual({ status: 'starting' })
    last().ready(4100)
    await expect(started).resolves.toEqual({
      url: 'http://127.0.0.1:4100',
      wsUrl: 'ws://127.0.0.1:4100/ws',
      token: 'tok-abcdefgh',
      mode: 'embedded',
    })
    expect(states.map((s) => s.status)).toEqual(['starting', 'running'])
  })

  it('restarts a dead child with exponential backoff, on the same port', async () => {
    const { sup, last, clock, children, states } = setup()
    const started = sup.start(config)
    last().ready(4200)
    await started
    last().exit(137)
    expect(sup.state()).toMatchObject({ status: 'restarting', attempt: 1, inMs: 500 })
    clock.advance(499)
    expect(children).toHaveLength(1)
    clock.advance(1)
    expect(children).toHaveLength(2)
    expect(last().args.slice(0, 2)).toEqual(['--port', '4200'])
    last().exit(1) // dies before ready
    expect(sup.state()).toMatchObject({ status: 'restarting', attempt: 2, inMs: 1000 })
    clock.advance(1000)
    last().ready(4200)
    expect(states.at(-1)?.status).toBe('running')
  })

  it('applies jitter between 50 % and 100 % of the step and caps at the maximum', () => {
    const clock = manualClock()
    const delays: number[] = []
    let r = 0
    const sup = createBackendSupervisor({
      fork: (_e, a, env) => {
        const c = new FakeChild(a, env)
        queueMicrotask(() => c.exit(1))
        return c
      },
      entry: 'x',
      log: silent,
      now: clock.now,
      setTimer: clock.setTimer,
      random: () => [0, 0.5, 0.8][r++ % 3] ?? 0,
      backoff: { initialMs: 1000, maxMs: 3000 },
      crashLimit: { count: 100, windowMs: 60_000 },
    })
    sup.onState((s) => s.status === 'restarting' && delays.push(s.inMs))
    void sup.start(config).catch(() => {})
    return (async () => {
      for (let i = 0; i < 5; i++) {
        await Promise.resolve()
        clock.advance(10_000)
      }
      expect(delays.slice(0, 5)).toEqual([500, 1500, 2700, 1500, 2250])
      await sup.stop()
    })()
  })

  it('gives up after repeated crashes with an error state, and retry starts again', async () => {
    const { sup, last, clock } = setup()
    const started = sup.start(config)
    for (let i = 0; i < 5; i++) {
      last().log('{"level":50,"msg":"fatal error: database is locked"}')
      last().exit(1)
      clock.advance(5_000)
    }
    await expect(started).rejects.toThrow(/stopped 5 times within 60 s/)
    expect(sup.state()).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('database is locked') as unknown,
    })
    const before = last()
    const again = sup.retry()
    await tick()
    expect(last()).not.toBe(before)
    last().ready()
    await expect(again).resolves.toMatchObject({ mode: 'embedded' })
  })

  it('counts only crashes within the window', async () => {
    const { sup, last, clock } = setup()
    void sup.start(config)
    for (let i = 0; i < 8; i++) {
      last().ready()
      clock.advance(20_000) // healthy for a while
      last().exit(1)
      clock.advance(5_000)
    }
    expect(sup.state().status).not.toBe('failed')
  })

  it('reports a start error message from the child', async () => {
    const { sup, last } = setup()
    const started = sup.start(config)
    last().fail('invalid_config', '--redis-url: must start with redis://')
    last().exit(2)
    expect(sup.state()).toMatchObject({
      status: 'restarting',
      lastError: 'invalid_config: --redis-url: must start with redis://',
    })
    void started.catch(() => {})
    await sup.stop()
  })

  it('falls back to a free port when the old one is taken', async () => {
    const { sup, last, clock } = setup()
    void sup.start(config)
    last().ready(4300)
    last().exit(1)
    clock.advance(500)
    expect(last().args[1]).toBe('4300')
    last().fail('EADDRINUSE', 'listen EADDRINUSE: address already in use')
    last().exit(1)
    clock.advance(1000)
    expect(last().args[1]).toBe('0')
  })

  it('kills a child that never reports ready, and counts it as a crash', async () => {
    const { sup, last, clock } = setup({ readyTimeoutMs: 3_000 })
    void sup.start(config).catch(() => {})
    expectKilledAt(last(), clock, 3_000)
    await tick()
    expect(sup.state()).toMatchObject({
      status: 'restarting',
      attempt: 1,
      lastError: 'the backend did not start within 3 s',
    })
  })

  it('gives a child that says it is upgrading its data the upgrade timeout, not the ready timeout', async () => {
    const { sup, last, clock, states } = setup({ readyTimeoutMs: 3_000, upgradeTimeoutMs: 600_000 })
    const started = sup.start(config)
    const first = last()
    clock.advance(1_000)
    first.upgrading(100_000)
    expect(sup.state()).toEqual({ status: 'starting', upgrading: { from: 7, to: 8, tasks: 100_000 } })
    // Killed at the ready timeout, the migration would roll back and start again, forever.
    clock.advance(500_000)
    expect(first.alive).toBe(true)
    expect(first.killed).toEqual([])
    first.ready(4100)
    await expect(started).resolves.toMatchObject({ url: 'http://127.0.0.1:4100' })
    // Its old timer is gone too: the upgrade timeout passing later changes nothing.
    clock.advance(600_000)
    expect(first.alive).toBe(true)
    expect(states.map((x) => x.status)).toEqual(['starting', 'starting', 'running'])
  })

  it('kills a child still upgrading at the upgrade timeout; malformed messages change nothing', async () => {
    const { sup, last, clock, children } = setup({ readyTimeoutMs: 3_000, upgradeTimeoutMs: 600_000 })
    void sup.start(config).catch(() => {})
    const first = last()
    for (const m of [
      { type: 'upgrading', from: 'x', to: 8, tasks: -1 },
      { type: 'ready', url: 'not a url', ws: '', ui: '' },
      'ready',
      null,
    ])
      for (const cb of first.messages) cb(m)
    expect(sup.state()).toEqual({ status: 'starting' })
    first.upgrading(5)
    expectKilledAt(first, clock, 600_000)
    await tick()
    // Not restarted on its own: each try would take as long and roll back (Retry starts it).
    expectFailedWithoutRestart(
      { sup, clock, children },
      "The data upgrade did not complete: the backend's data upgrade did not finish within 10 min",
    )
    expect(children).toHaveLength(1)
    void sup.retry().catch(() => {})
    await tick()
    expect(children).toHaveLength(2)
  })

  it('after the upgrade, the ready timeout applies again; a child that dies upgrading is not restarted', async () => {
    const { sup, last, clock, children } = setup({ readyTimeoutMs: 3_000, upgradeTimeoutMs: 600_000 })
    void sup.start(config).catch(() => {})
    const first = last()
    first.upgrading(5)
    clock.advance(100_000)
    first.upgraded()
    expect(sup.state()).toEqual({ status: 'starting' })
    expectKilledAt(first, clock, 3_000)
    await tick()
    // Hung after its upgrade: an ordinary start failure, restarted with backoff.
    expect(sup.state()).toMatchObject({ status: 'restarting', attempt: 1 })
    clock.advance(500)
    await tick()
    const second = last()
    expect(second).not.toBe(first)
    second.upgrading(5)
    second.fail('SQLITE_FULL', 'database or disk is full')
    second.exit(1)
    await tick()
    expectFailedWithoutRestart(
      { sup, clock, children },
      'The data upgrade did not complete: SQLITE_FULL: database or disk is full',
    )
    expect(children).toHaveLength(2)
  })

  it('stops gracefully with a shutdown message; stop is idempotent', async () => {
    const { sup, last } = setup()
    void sup.start(config)
    const child = last()
    child.ready()
    await sup.stop()
    await sup.stop()
    expect(child.received).toEqual([{ type: 'shutdown' }])
    expect(child.killed).toEqual([])
    expect(sup.state()).toEqual({ status: 'stopped' })
  })

  it('restart with a new config stops the old child and starts one with the new flags', async () => {
    const { sup, last, children } = setup()
    void sup.start(config)
    last().ready(4400)
    const restarted = sup.restart({ ...config, redisUrl: 'redis://127.0.0.1:7777' })
    await tick()
    expect(children[0]?.received).toEqual([{ type: 'shutdown' }])
    expect(last().env.REDIS_URL).toBe('redis://127.0.0.1:7777')
    last().ready(4400)
    await expect(restarted).resolves.toMatchObject({ url: 'http://127.0.0.1:4400' })
  })

  it('two overlapping restarts fork one backend at a time; stop leaves none alive', async () => {
    const { sup, last, children } = setup()
    void sup.start(config)
    last().ready(4400)
    const a = sup.restart({ ...config, redisUrl: 'redis://a' })
    const b = sup.restart({ ...config, redisUrl: 'redis://b' })
    const c = sup.retry()
    for (let i = 0; i < 10; i += 1) await tick()
    expect(children.filter((ch) => ch.alive)).toHaveLength(1)
    expect(last().env.REDIS_URL).toBe('redis://b')
    last().ready(4400)
    await Promise.all([a, b, c])
    await sup.stop()
    expect(children.filter((ch) => ch.alive)).toHaveLength(0)
    expect(sup.state()).toEqual({ status: 'stopped' })
  })

  it('a restart asked for while a slow stop is pending does not fork until the old child is gone', async () => {
    const { sup, last, children, clock } = setup({ stuck: { shutdown: true } })
    void sup.start(config)
    last().ready(4400)
    const stopping = sup.stop()
    const restarted = sup.restart(config).catch(() => {})
    await tick()
    expect(children).toHaveLength(1) // still waiting for the first one to exit
    clock.advance(2_000) // stop timeout: hard kill
    await stopping
    for (let i = 0; i < 5; i += 1) await tick()
    expect(children[0]?.killed).toEqual([true])
    expect(children.filter((ch) => ch.alive)).toHaveLength(1)
    last().ready(4400)
    await restarted
    await sup.settled()
  })

  it('stop gives up on a child that survives even the hard kill (quit never hangs)', async () => {
    const { sup, last, clock } = setup({ stuck: { shutdown: true, kill: true } })
    void sup.start(config)
    const child = last()
    child.ready()
    let stopped = false
    const stopping = sup.stop().then(() => (stopped = true))
    await tick()
    clock.advance(2_000) // stop timeout → SIGKILL
    await tick()
    expect(child.killed).toEqual([true])
    expect(stopped).toBe(false)
    clock.advance(1_000) // kill timeout → give up on it
    await stopping
    expect(sup.state()).toEqual({ status: 'stopped' })
  })

  it('after a ready timeout the replacement is forked only once the stuck child has exited', async () => {
    const { sup, children, clock } = setup({ readyTimeoutMs: 3_000, stuck: { kill: true } })
    void sup.start(config).catch(() => {})
    clock.advance(3_000)
    await tick()
    expect(children[0]?.killed).toEqual([true])
    clock.advance(10_000) // way past the backoff step
    await tick()
    expect(children).toHaveLength(1)
    children[0]?.exit(null)
    await tick()
    clock.advance(500)
    expect(children).toHaveLength(2)
  })
})

describe('backend supervisor #apply (one queue for every backend change)', () => {
  it('a burst of applies skips the ones superseded while they waited', async () => {
    const { sup, children, last } = setup()
    await sup.apply(config)
    last().ready()
    const first = last()
    first.ignoresShutdown = true // a slow stop: the burst arrives while it runs
    const applies = [
      sup.apply({ ...config, redisUrl: 'redis://a:1' }), // runs at once, waits for the stop
      sup.apply({ ...config, redisUrl: 'redis://b:1' }), // superseded while queued: skipped
      sup.apply({ ...config, redisUrl: null }),
    ]
    await tick()
    expect(children).toHaveLength(1)
    first.exit(0)
    await Promise.all(applies)
    expect(children.map((c) => c.env.REDIS_URL)).toEqual([config.redisUrl, 'redis://a:1', undefined])
    expect(children.filter((c) => c.alive)).toEqual([last()])
  })

  it('apply(null) stops the child and reports stopped; a later apply starts one again', async () => {
    const { sup, children, states, last } = setup()
    await sup.apply(config)
    last().ready()
    await sup.apply(null)
    expect(children[0]?.alive).toBe(false)
    expect(states.at(-1)).toEqual({ status: 'stopped' })
    await sup.apply(config)
    expect(children).toHaveLength(2)
    expect(states.at(-1)).toEqual({ status: 'starting' })
  })

  it('a stop queued between two applies is not skipped: the later apply runs after it', async () => {
    const { sup, children, last } = setup()
    await sup.apply(config)
    last().ready()
    const a = sup.apply({ ...config, redisUrl: 'redis://a:1' })
    const stopped = sup.stop()
    const b = sup.apply({ ...config, redisUrl: 'redis://b:1' })
    await Promise.all([a, stopped, b])
    expect(children.filter((c) => c.alive)).toHaveLength(1)
    expect(last().env.REDIS_URL).toBe('redis://b:1')
  })
})

describe('utilityProcess adapter (real child that ignores SIGTERM)', () => {
  it('a hard kill is SIGKILL: a stuck backend is stopped and stop() returns', async () => {
    const electron = createFakeElectron({ userData: '/nonexistent' })
    const sup = createBackendSupervisor({
      fork: utilityProcessFork(electron.utilityProcess),
      entry: fileURLToPath(new URL('../../test/fakes/main/stuck-backend.mjs', import.meta.url)),
      log: silent,
      baseEnv: { PATH: process.env.PATH },
      stopTimeoutMs: 300,
      killTimeoutMs: 10_000,
    })
    try {
      await sup.start(config)
      const child = electron.forked[0]?.child
      expect(child?.exitCode).toBe(null)
      await sup.stop()
      // Exited by SIGKILL, not by the timeout giving up on it.
      expect(child?.signalCode).toBe('SIGKILL')
    } finally {
      // Never leave a spinning child behind, even when the test fails.
      for (const p of electron.forked) if (p.child.exitCode === null) p.child.kill('SIGKILL')
    }
  }, 20_000)
})
