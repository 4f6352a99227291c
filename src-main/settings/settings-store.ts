// Settings in userData/settings.json, validated with the zod schema from src-shared/ipc.ts.
// A corrupt or invalid file gives the defaults and is kept aside (never a crash). The Redis
// password and the remote token are stored as safeStorage ciphertext; where the OS has no secret
// store they are kept base64-only and the view says so. Launch-time environment overrides
// (TASKPULSE_REDIS_URL; TASKPULSE_BACKEND_URL + TASKPULSE_TOKEN) apply on top and are never saved.
import { join } from 'node:path'
import {
  settingsPatchSchema,
  settingsSchema,
  type PauseChoice,
  type SecretStorageKind,
  type Settings,
  type SettingsPatch,
  type SettingsView,
  type WindowBounds,
} from '../../src-shared/ipc'
import { pauseUntil } from '../notifications/notifier'
import { keepAside, readJson, writeJsonAtomic } from '../state/json-file'

/** The part of Electron's safeStorage used here. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean
  encryptString(plainText: string): Buffer
  decryptString(encrypted: Buffer): string
  getSelectedStorageBackend?(): string
}

export type BackendConfig =
  { mode: 'embedded'; redisUrl: string | null } | { mode: 'remote'; url: string; token: string }

export interface LaunchEnv {
  TASKPULSE_REDIS_URL?: string | undefined
  TASKPULSE_BACKEND_URL?: string | undefined
  TASKPULSE_TOKEN?: string | undefined
}

export interface SettingsStore {
  get(): Settings
  view(): SettingsView
  /** Applies a validated patch, saves, and says whether the effective backend config changed. */
  update(patch: unknown): { view: SettingsView; backendChanged: boolean }
  /** Do-not-disturb for an hour, until tomorrow, or off (tray and settings view). */
  pauseNotifications(choice: PauseChoice): SettingsView
  backendConfig(): BackendConfig
  saveWindowBounds(bounds: WindowBounds): void
  /** Warnings to show once (corrupt file kept aside, secret unreadable, no secret store). */
  warnings(): string[]
  onChange(listener: (settings: Settings) => void): () => void
}

export function createSettingsStore(deps: {
  dir: string
  safeStorage: SafeStorageLike
  env: LaunchEnv
  now?: () => number
}): SettingsStore {
  const path = join(deps.dir, 'settings.json')
  const now = deps.now ?? Date.now
  const warnings: string[] = []
  const listeners = new Set<(s: Settings) => void>()

  let settings: Settings = load()

  function load(): Settings {
    const read = readJson(path)
    if (read.kind === 'missing') return settingsSchema.parse({})
    if (read.kind === 'ok') {
      const parsed = settingsSchema.safeParse(read.value)
      if (parsed.success) return parsed.data
      const aside = keepAside(path, now())
      warnings.push(
        `Settings file was invalid (${parsed.error.issues[0]?.message ?? 'schema'}); defaults used, old file kept as ${aside}`,
      )
      return settingsSchema.parse({})
    }
    const aside = keepAside(path, now())
    warnings.push(`Settings file was unreadable (${read.reason}); defaults used, old file kept as ${aside}`)
    return settingsSchema.parse({})
  }

  const storageKind = (): SecretStorageKind => {
    if (!deps.safeStorage.isEncryptionAvailable()) return 'unavailable'
    const backend = deps.safeStorage.getSelectedStorageBackend?.()
    return backend === 'basic_text' ? 'weak' : 'os'
  }

  const seal = (clear: string): { value: string; plain: boolean } => {
    if (storageKind() === 'unavailable')
      return { value: Buffer.from(clear, 'utf8').toString('base64'), plain: true }
    return { value: deps.safeStorage.encryptString(clear).toString('base64'), plain: false }
  }
  const unseal = (stored: string | undefined, name: string): string => {
    if (!stored) return ''
    const bytes = Buffer.from(stored, 'base64')
    if (settings.secrets.plain) return bytes.toString('utf8')
    try {
      return deps.safeStorage.decryptString(bytes)
    } catch {
      const msg = `The stored ${name} could not be decrypted (the OS secret store changed?); enter it again`
      if (!warnings.includes(msg)) warnings.push(msg)
      return ''
    }
  }

  /** Writes `next` and only then makes it current: a failed write leaves memory as on disk. */
  const save = (next: Settings): void => {
    writeJsonAtomic(path, next)
    settings = next
    for (const l of listeners) l(settings)
  }

  const backendConfig = (): BackendConfig => {
    const env = deps.env
    if (env.TASKPULSE_BACKEND_URL)
      return { mode: 'remote', url: env.TASKPULSE_BACKEND_URL, token: env.TASKPULSE_TOKEN ?? '' }
    if (settings.backend.mode === 'remote') {
      return {
        mode: 'remote',
        url: settings.backend.remoteUrl,
        token: unseal(settings.secrets.remoteToken, 'remote token'),
      }
    }
    if (env.TASKPULSE_REDIS_URL) return { mode: 'embedded', redisUrl: env.TASKPULSE_REDIS_URL }
    if (!settings.backend.redisUrl) return { mode: 'embedded', redisUrl: null }
    const password = unseal(settings.secrets.redisPassword, 'Redis password')
    if (!password) return { mode: 'embedded', redisUrl: settings.backend.redisUrl }
    const url = new URL(settings.backend.redisUrl)
    url.password = password
    return { mode: 'embedded', redisUrl: url.toString() }
  }

  const currentWarnings = (): string[] => {
    const list = [...warnings]
    if (storageKind() === 'unavailable' && (settings.secrets.redisPassword || settings.secrets.remoteToken)) {
      list.push(
        'This system offers no secret store: the Redis password and remote token are saved unencrypted',
      )
    }
    return list
  }

  const view = (): SettingsView => ({
    backend: { ...settings.backend },
    notifications: structuredClone(settings.notifications),
    app: { ...settings.app },
    secrets: {
      redisPasswordSet: Boolean(settings.secrets.redisPassword),
      remoteTokenSet: Boolean(settings.secrets.remoteToken),
    },
    secretStorage: storageKind(),
    overrides: {
      redisUrl: Boolean(deps.env.TASKPULSE_REDIS_URL),
      remote: Boolean(deps.env.TASKPULSE_BACKEND_URL),
    },
    warnings: currentWarnings(),
  })

  function update(raw: unknown): { view: SettingsView; backendChanged: boolean } {
    const patch: SettingsPatch = settingsPatchSchema.parse(raw)
    const before = JSON.stringify(backendConfig())
    const next: Settings = structuredClone(settings)
    if (patch.backend) Object.assign(next.backend, patch.backend)
    if (patch.notifications) Object.assign(next.notifications, patch.notifications)
    if (patch.app) Object.assign(next.app, patch.app)
    if (patch.secrets) {
      // Re-seal the other secret too when the storage kind changes, so `plain` stays true for both.
      const clear = {
        redisPassword:
          patch.secrets.redisPassword ?? unseal(settings.secrets.redisPassword, 'Redis password'),
        remoteToken: patch.secrets.remoteToken ?? unseal(settings.secrets.remoteToken, 'remote token'),
      }
      const secrets: Settings['secrets'] = { plain: storageKind() === 'unavailable' }
      for (const key of ['redisPassword', 'remoteToken'] as const) {
        if (clear[key]) secrets[key] = seal(clear[key]).value
      }
      next.secrets = secrets
    }
    // The password lives in the secret store, never in the URL on disk.
    if (patch.backend?.redisUrl) {
      const url = new URL(patch.backend.redisUrl)
      if (url.password) {
        const password = decodeURIComponent(url.password)
        url.password = ''
        next.backend.redisUrl = url.toString()
        next.secrets = {
          ...next.secrets,
          redisPassword: seal(password).value,
          plain: storageKind() === 'unavailable',
        }
      }
    }
    save(settingsSchema.parse(next))
    return { view: view(), backendChanged: JSON.stringify(backendConfig()) !== before }
  }

  return {
    get: () => settings,
    view,
    update,
    pauseNotifications(choice) {
      return update({ notifications: { pausedUntil: pauseUntil(choice, now()) } }).view
    },
    backendConfig,
    saveWindowBounds(bounds) {
      if (JSON.stringify(bounds) === JSON.stringify(settings.window)) return
      save({ ...settings, window: bounds })
    },
    warnings: currentWarnings,
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
