import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { IpcResult, SettingsView } from '../../src-shared/ipc'
import { invokeContract, type InvokeName } from '../../src-shared/ipc-contract'
import { createIpcServices } from './ipc-services'
import { registerIpcHandlers, testRemoteConnection } from './ipc-handlers'
import { appUrlMatcher } from '../window/security'
import { createSettingsStore } from '../settings/settings-store'
import { createFakeElectron, fakeSafeStorage, type FakeElectron } from '../../test/fakes/main/fake-electron'

const APP = 'app://taskpulse/index.html'
let dir: string
let electron: FakeElectron
let restarts: number
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskpulse-ipc-'))
  electron = createFakeElectron({ userData: dir })
  restarts = 0
  const settings = createSettingsStore({ dir, safeStorage: fakeSafeStorage(), env: {} })
  registerIpcHandlers({
    ipcMain: electron.ipcMain,
    isTrustedSender: appUrlMatcher(undefined),
    log: { warn() {} },
    services: createIpcServices({
      settings,
      backend: {
        connection: () => ({
          url: 'http://127.0.0.1:5',
          wsUrl: 'ws://127.0.0.1:5/ws',
          token: 'tok',
          mode: 'embedded',
        }),
        state: () => ({ status: 'starting' }),
        apply: async () => {
          restarts += 1
        },
        retry: async () => ({ status: 'starting' }),
      },
      setLoginItem: () => {},
    }),
  })
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const invoke = <T>(name: InvokeName, frame: string | null, ...args: unknown[]) =>
  electron.ipc.invoke(name, frame, ...args) as Promise<IpcResult<T>>

describe('IPC handlers (fake electron)', () => {
  it('answer the app’s own page', async () => {
    await expect(invoke('getConnection', APP)).resolves.toEqual({
      ok: true,
      value: { url: 'http://127.0.0.1:5', wsUrl: 'ws://127.0.0.1:5/ws', token: 'tok', mode: 'embedded' },
    })
    const settings = await invoke<SettingsView>('getSettings', APP)
    expect(settings.ok && settings.value.notifications.onFailed).toBe(true)
  })

  it('reject a bad sender on every channel', async () => {
    for (const name of Object.keys(invokeContract) as InvokeName[]) {
      expect(electron.ipc.handlers.has(invokeContract[name].channel)).toBe(true)
      for (const frame of [
        'https://evil.example.com/',
        'file:///tmp/x.html',
        'app://other/index.html',
        null,
      ]) {
        await expect(invoke(name, frame, {})).resolves.toEqual({
          ok: false,
          error: 'forbidden: untrusted sender',
        })
      }
    }
    expect(restarts).toBe(0)
  })

  it('reject a bad payload', async () => {
    const bad = [
      ['setSettings', { backend: { mode: 'cloud' } }],
      ['setSettings', { notifications: { onFailed: 'yes' } }],
      ['setSettings', { __proto__: { polluted: true }, extra: 1 }],
      ['setSettings', 'string'],
      ['pauseNotifications', '2h'],
      ['testConnection', { url: '' }],
      ['testConnection', { url: 'http://x', token: 1 }],
      // Parses as a URL (scheme "localhost:"), but no socket can be opened to it.
      ['setSettings', { backend: { remoteUrl: 'localhost:8080' } }],
      ['setSettings', { backend: { remoteUrl: 'ftp://example.com' } }],
      ['testConnection', { url: '127.0.0.1:8080' }],
    ] as const
    for (const [channel, payload] of bad) {
      const r = await invoke(channel, APP, payload)
      expect(r.ok, `${channel} ${JSON.stringify(payload)}`).toBe(false)
      expect(!r.ok && r.error).toMatch(/^invalid payload/)
    }
    // extra arguments are refused too
    expect((await invoke('getSettings', APP, 'unexpected')).ok).toBe(false)
  })

  it('set settings: saves, never returns secrets, restarts the backend only when its config changed', async () => {
    const r1 = await invoke<SettingsView>('setSettings', APP, { notifications: { failuresOnly: true } })
    expect(r1.ok && r1.value.notifications.failuresOnly).toBe(true)
    expect(restarts).toBe(0)
    const r2 = await invoke<SettingsView>('setSettings', APP, {
      backend: { redisUrl: 'redis://:pw@127.0.0.1:6379' },
    })
    expect(r2.ok && r2.value.secrets.redisPasswordSet).toBe(true)
    expect(JSON.stringify(r2)).not.toContain('pw@')
    expect(restarts).toBe(1)
  })

  it('pause notifications', async () => {
    const before = Date.now()
    const r = await invoke<SettingsView>('pauseNotifications', APP, 'tomorrow')
    expect(r.ok).toBe(true)
    // "tomorrow" is the next local midnight, saved in the settings.
    const until = r.ok ? r.value.notifications.pausedUntil : null
    expect(until).toBeGreaterThan(before)
    expect(new Date(until ?? 0).getHours()).toBe(0)
    const saved = await invoke<SettingsView>('getSettings', APP)
    expect(saved.ok && saved.value.notifications.pausedUntil).toBe(until)
  })
})

describe('test connection', () => {
  let server: Server
  let base: string
  afterEach(() => new Promise<void>((r) => server.close(() => r())))
  const start = (handler: Parameters<typeof createServer>[1]) =>
    new Promise<void>((resolve) => {
      server = createServer(handler)
      server.listen(0, '127.0.0.1', () => {
        const a = server.address()
        base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`
        resolve()
      })
    })

  it('says connected with version, Redis and latency', async () => {
    await start((req, res) => {
      res.setHeader('content-type', 'application/json')
      if (req.url === '/api/health')
        return res.end(JSON.stringify({ status: 'ok', redis: 'connected', version: '0.1.0' }))
      res.statusCode = req.headers.authorization === 'Bearer good' ? 200 : 401
      res.end('{}')
    })
    const ok = await testRemoteConnection({ url: `${base}/`, token: 'good' })
    expect(ok.message).toMatch(/^Connected: TaskPulse 0\.1\.0, Redis connected, \d+ ms$/)
    await expect(testRemoteConnection({ url: base, token: 'bad' })).rejects.toThrow(/token was refused/)
  })

  it('tells a server that is not TaskPulse', async () => {
    await start((_req, res) => {
      res.statusCode = 404
      res.end('nope')
    })
    await expect(testRemoteConnection({ url: base })).rejects.toThrow(/is this a TaskPulse server/)
  })

  it('tells an unreachable server', async () => {
    await start((_req, res) => res.end())
    const dead = base
    await new Promise<void>((r) => server.close(() => r()))
    server = createServer()
    server.listen(0)
    await expect(testRemoteConnection({ url: dead })).rejects.toThrow(/^Cannot reach/)
  })

  it('asks as the window does (Origin app://taskpulse) and says how to fix a refused origin', async () => {
    const origins: (string | undefined)[] = []
    let allowed = ['http://elsewhere']
    await start((req, res) => {
      origins.push(req.headers.origin)
      res.setHeader('content-type', 'application/json')
      if (req.headers.origin !== undefined && !allowed.includes(req.headers.origin)) {
        res.statusCode = 403
        return res.end(JSON.stringify({ error: { code: 'forbidden_origin', message: 'Origin not allowed' } }))
      }
      if (req.url === '/api/health')
        return res.end(JSON.stringify({ status: 'ok', redis: 'connected', version: '0.1.0' }))
      res.end('{}')
    })
    await expect(testRemoteConnection({ url: base, token: 't' })).rejects.toThrow(
      /refuses the desktop app \(403 forbidden_origin\): start the server with --allowed-origins app:\/\/taskpulse$/,
    )
    expect(origins).toEqual(['app://taskpulse'])
    allowed = ['app://taskpulse']
    await expect(testRemoteConnection({ url: base, token: 't' })).resolves.toMatchObject({ version: '0.1.0' })
    expect(origins.slice(1)).toEqual(['app://taskpulse', 'app://taskpulse'])
  })
})
