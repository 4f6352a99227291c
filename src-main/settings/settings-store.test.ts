import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSettingsStore, type LaunchEnv } from './settings-store'
import { fakeSafeStorage } from '../../test/fakes/main/fake-electron'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskpulse-settings-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const store = (opts: { env?: LaunchEnv; safe?: ReturnType<typeof fakeSafeStorage> } = {}) =>
  createSettingsStore({ dir, safeStorage: opts.safe ?? fakeSafeStorage(), env: opts.env ?? {} })
const onDisk = () => JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as Record<string, unknown>

describe('settings store', () => {
  it('starts from defaults without a file', () => {
    const s = store()
    expect(s.get().backend).toEqual({ mode: 'embedded', redisUrl: '', remoteUrl: '' })
    expect(s.get().notifications.onFailed).toBe(true)
    expect(s.get().app.closeToTray).toBe(true)
    expect(s.backendConfig()).toEqual({ mode: 'embedded', redisUrl: null })
    expect(s.warnings()).toEqual([])
  })

  it('saves a patch and reads it back on the next launch', () => {
    store().update({
      notifications: { failuresOnly: true, projects: { mode: 'only', names: ['web'] } },
      app: { startAtLogin: true },
    })
    const again = store()
    expect(again.get().notifications).toMatchObject({
      failuresOnly: true,
      onFailed: true,
      projects: { mode: 'only', names: ['web'] },
    })
    expect(again.get().app).toEqual({ closeToTray: true, startAtLogin: true })
  })

  it('a corrupt file gives the defaults, is kept aside, and never throws', () => {
    writeFileSync(join(dir, 'settings.json'), '{"backend": {"mode": "embe')
    const s = store()
    expect(s.get().backend.mode).toBe('embedded')
    expect(s.warnings()[0]).toMatch(/unreadable.*kept as/)
    expect(s.view().warnings).toEqual(s.warnings())
    const aside = readdirSync(dir).filter((f) => f.startsWith('settings.json.corrupt-'))
    expect(aside).toHaveLength(1)
    expect(readFileSync(join(dir, aside[0] ?? ''), 'utf8')).toContain('"embe')
  })

  it('a file that fails the schema is treated the same way', () => {
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ backend: { mode: 'cloud' } }))
    const s = store()
    expect(s.get().backend.mode).toBe('embedded')
    expect(s.warnings()[0]).toMatch(/invalid/)
    expect(existsSync(join(dir, 'settings.json'))).toBe(false)
  })

  it('rejects an invalid patch and keeps the settings', () => {
    const s = store()
    expect(() => s.update({ backend: { mode: 'cloud' } })).toThrow()
    expect(() => s.update({ notifications: { unknownKey: true } })).toThrow()
    expect(() => s.update({ backend: { redisUrl: 'not a url' } })).toThrow()
    expect(s.get().backend.mode).toBe('embedded')
  })

  it('encrypts secrets with safeStorage and never shows them in the view or the file in clear', () => {
    const s = store()
    const { view } = s.update({
      backend: { mode: 'remote', remoteUrl: 'https://tp.example.com' },
      secrets: { remoteToken: 's3cret-token' },
    })
    expect(view.secrets).toEqual({ redisPasswordSet: false, remoteTokenSet: true })
    expect(JSON.stringify(view)).not.toContain('s3cret')
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).not.toContain('s3cret')
    expect(store().backendConfig()).toEqual({
      mode: 'remote',
      url: 'https://tp.example.com',
      token: 's3cret-token',
    })
  })

  it('moves a password out of the Redis URL into the secret store', () => {
    const s = store()
    s.update({ backend: { redisUrl: 'redis://:p%40ss@redis.local:6380/2' } })
    expect((onDisk().backend as { redisUrl: string }).redisUrl).toBe('redis://redis.local:6380/2')
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).not.toContain('p%40ss')
    expect(s.view().secrets.redisPasswordSet).toBe(true)
    expect(store().backendConfig()).toEqual({
      mode: 'embedded',
      redisUrl: 'redis://:p%40ss@redis.local:6380/2',
    })
  })

  it('without an OS secret store: stores base64 only and warns', () => {
    const safe = fakeSafeStorage({ available: false })
    const s = store({ safe })
    s.update({ secrets: { remoteToken: 'tok-123456' } })
    expect(s.view().secretStorage).toBe('unavailable')
    expect(s.warnings().join()).toMatch(/no secret store/)
    expect(onDisk().secrets).toMatchObject({ plain: true })
    s.update({ backend: { mode: 'remote', remoteUrl: 'http://h:1' } })
    expect(store({ safe }).backendConfig()).toMatchObject({ token: 'tok-123456' })
  })

  it('reports a weak secret store (Linux basic_text)', () => {
    expect(store({ safe: fakeSafeStorage({ backend: 'basic_text' }) }).view().secretStorage).toBe('weak')
  })

  it('a secret that cannot be decrypted any more is treated as unset with a warning', () => {
    store().update({
      backend: { mode: 'remote', remoteUrl: 'http://h:1' },
      secrets: { remoteToken: 'abcdefgh' },
    })
    const raw = onDisk()
    writeFileSync(
      join(dir, 'settings.json'),
      JSON.stringify({ ...raw, secrets: { remoteToken: Buffer.from('garbage').toString('base64') } }),
    )
    const s = store()
    expect(s.backendConfig()).toEqual({ mode: 'remote', url: 'http://h:1', token: '' })
    expect(s.warnings().join()).toMatch(/could not be decrypted/)
  })

  it('environment overrides win and are not saved', () => {
    const env = { TASKPULSE_REDIS_URL: 'redis://127.0.0.1:7000' }
    const s = store({ env })
    expect(s.backendConfig()).toEqual({ mode: 'embedded', redisUrl: 'redis://127.0.0.1:7000' })
    expect(s.view().overrides).toEqual({ redisUrl: true, remote: false })
    s.update({ app: { closeToTray: false } })
    expect(JSON.stringify(onDisk())).not.toContain('7000')

    const remote = store({ env: { TASKPULSE_BACKEND_URL: 'http://10.0.0.5:8080', TASKPULSE_TOKEN: 'abc' } })
    expect(remote.backendConfig()).toEqual({ mode: 'remote', url: 'http://10.0.0.5:8080', token: 'abc' })
  })

  it('tells whether a patch changed the backend config', () => {
    const s = store()
    expect(s.update({ notifications: { onCompleted: false } }).backendChanged).toBe(false)
    expect(s.update({ backend: { redisUrl: 'redis://127.0.0.1:6379' } }).backendChanged).toBe(true)
    expect(s.update({ backend: { redisUrl: 'redis://127.0.0.1:6379' } }).backendChanged).toBe(false)
    expect(s.update({ secrets: { redisPassword: 'pw' } }).backendChanged).toBe(true)
  })

  it('remembers window bounds and notifies listeners', () => {
    const s = store()
    const seen: unknown[] = []
    s.onChange((x) => seen.push(x.window))
    s.saveWindowBounds({ x: 10, y: 20, width: 900, height: 700, maximized: false })
    s.saveWindowBounds({ x: 10, y: 20, width: 900, height: 700, maximized: false })
    expect(seen).toHaveLength(1)
    expect(store().get().window).toEqual({ x: 10, y: 20, width: 900, height: 700, maximized: false })
  })
})
