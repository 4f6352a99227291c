// The mode switch over the supervisor, with a supervisor stand-in that records what it is asked
// and reports states when the test says so.
import { describe, expect, it } from 'vitest'
import type { BackendState, Connection } from '../../src-shared/ipc'
import type { BackendSupervisor, EmbeddedConfig } from './backend-supervisor'
import { createBackendService, remoteUrlProblem, wsUrlOf } from './backend-service'

function fakeSupervisor() {
  const listeners = new Set<(s: BackendState) => void>()
  const applied: (EmbeddedConfig | null)[] = []
  let retries = 0
  let stops = 0
  const sup = {
    apply: async (c: EmbeddedConfig | null) => void applied.push(c),
    retry: async () => {
      retries += 1
      return {} as Connection
    },
    stop: async () => void (stops += 1),
    onState(l: (s: BackendState) => void) {
      listeners.add(l)
      return () => listeners.delete(l)
    },
  } as unknown as BackendSupervisor
  return {
    sup,
    applied,
    emit: (s: BackendState) => listeners.forEach((l) => l(s)),
    retries: () => retries,
    stops: () => stops,
    listeners: () => listeners.size,
  }
}

const silent = { info() {}, warn() {}, error() {} }
const running = (port: number): BackendState => ({
  status: 'running',
  connection: {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    token: 't',
    mode: 'embedded',
  },
})

function setup(fromEnv = false) {
  const f = fakeSupervisor()
  const service = createBackendService({
    supervisor: f.sup,
    embeddedConfig: (c) => ({ dataDir: '/d', token: 't', redisUrl: c.redisUrl, allowedOrigins: [] }),
    remoteFromEnv: () => fromEnv,
    log: silent,
  })
  const states: [BackendState, string][] = []
  const connections: (Connection | null)[] = []
  service.onState((s, mode) => states.push([s, mode]))
  service.onConnection((c) => connections.push(c))
  return { f, service, states, connections }
}

describe('backend service', () => {
  it('embedded: hands the config to the supervisor and follows its states', async () => {
    const { f, service, states, connections } = setup()
    await service.start({ mode: 'embedded', redisUrl: null })
    expect(f.applied).toEqual([{ dataDir: '/d', token: 't', redisUrl: null, allowedOrigins: [] }])
    f.emit({ status: 'starting' })
    f.emit(running(4000))
    expect(states.map(([s]) => s.status)).toEqual(['starting', 'running'])
    expect(connections).toEqual([(running(4000) as { connection: Connection }).connection])
    expect(service.connection()?.url).toBe('http://127.0.0.1:4000')
  })

  it('remote: stops the embedded child through the same queue and ignores its last states', async () => {
    const { f, service, states } = setup()
    await service.start({ mode: 'embedded', redisUrl: null })
    await service.apply({ mode: 'remote', url: 'https://pulse.example.com/', token: 'k' })
    expect(f.applied.at(-1)).toBeNull()
    f.emit({ status: 'stopped' }) // the embedded child going away: not this backend's state
    expect(service.state()).toEqual({
      status: 'running',
      connection: {
        url: 'https://pulse.example.com',
        wsUrl: 'wss://pulse.example.com/ws',
        token: 'k',
        mode: 'remote',
      },
    })
    expect(states.at(-1)?.[1]).toBe('remote')
  })

  it('a remote URL that cannot work: a failed state with the fix, no connection', async () => {
    const { service, connections } = setup(true)
    await service.start({ mode: 'remote', url: 'localhost:8080', token: '' })
    expect(service.state()).toEqual({
      status: 'failed',
      error:
        'TASKPULSE_BACKEND_URL must be an http:// or https:// URL, e.g. http://localhost:8080 (got "localhost:8080")',
    })
    expect(connections).toEqual([null])
  })

  it('retry: the supervisor in embedded mode, the same config again in remote mode', async () => {
    const { f, service } = setup()
    await service.start({ mode: 'embedded', redisUrl: null })
    await service.retry()
    expect(f.retries()).toBe(1)
    await service.apply({ mode: 'remote', url: '', token: '' })
    const applies = f.applied.length
    await service.retry()
    expect(f.retries()).toBe(1)
    expect(f.applied.length).toBe(applies + 1)
  })

  it('stop: the supervisor stops, later applies do nothing', async () => {
    const { f, service } = setup()
    await service.start({ mode: 'embedded', redisUrl: null })
    await service.stop()
    await service.apply({ mode: 'embedded', redisUrl: 'redis://x:1' })
    expect(f.stops()).toBe(1)
    expect(f.applied).toHaveLength(1)
    expect(f.listeners()).toBe(0)
  })

  it('remote URL rules', () => {
    expect(remoteUrlProblem('http://a:1', false)).toBeNull()
    expect(remoteUrlProblem('', false)).toBe('Remote mode: no server URL set (Settings → Backend)')
    expect(remoteUrlProblem('ftp://a', true)).toMatch(/^TASKPULSE_BACKEND_URL must be an http/)
    expect(wsUrlOf('https://h/base/')).toBe('wss://h/base/ws')
  })
})
