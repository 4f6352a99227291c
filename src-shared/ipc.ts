// The contract between the Electron main process and the renderer, exposed by the preload script
// as `window.desktop`. In a plain browser `window.desktop` is undefined and the renderer takes its
// backend from the page's origin and `#token=`.
//
// Settings and notification preferences are defined here as zod schemas so that main validates the
// file on disk and every IPC payload with the same definition the settings view is typed against.
import { z } from 'zod'
import type { InvokeArgs, InvokeName } from './ipc-contract'

export type { DesktopApi, IpcResult } from './ipc-contract'

/** Where the renderer finds its backend. */
export interface Connection {
  /** http(s) base URL of the backend, e.g. http://127.0.0.1:43123 */
  url: string
  /** ws(s) URL of the socket, e.g. ws://127.0.0.1:43123/ws */
  wsUrl: string
  token: string
  mode: 'embedded' | 'remote'
}

// ---- Notification preferences -----------------------------------------------------------------

/** A filter over project ids or agent names: every one, only the listed ones, or all but them. */
export const nameFilterSchema = z
  .object({
    mode: z.enum(['all', 'only', 'except']),
    names: z.array(z.string().min(1).max(256)).max(500),
  })
  .strict()
export type NameFilter = z.infer<typeof nameFilterSchema>

// The fields without defaults: a patch must not fill in what it does not mention.
const notificationPrefsShape = {
  /** Master switch. */
  enabled: z.boolean(),
  /** Which statuses notify when a task enters them. */
  onFailed: z.boolean(),
  onCompleted: z.boolean(),
  /** A task entering `waiting` (needs input): "<agent> needs your input: <reason>". */
  onWaiting: z.boolean(),
  /** A running task the backend found stale (no update past its threshold), once per stale spell. */
  onStale: z.boolean(),
  /** Shortcut: only failures notify, whatever `onCompleted` says. */
  failuresOnly: z.boolean(),
  /** Stay quiet while the TaskPulse window has focus (the user is looking at it). */
  onlyWhenUnfocused: z.boolean(),
  projects: nameFilterSchema,
  agents: nameFilterSchema,
  /** Do-not-disturb: epoch milliseconds until which nothing is shown; null = not paused. */
  pausedUntil: z.number().int().nonnegative().nullable(),
}

export type NotificationPrefs = z.infer<z.ZodObject<typeof notificationPrefsShape>>

export const defaultNotificationPrefs = (): NotificationPrefs => ({
  enabled: true,
  onFailed: true,
  onCompleted: true,
  onWaiting: true,
  onStale: true,
  failuresOnly: false,
  onlyWhenUnfocused: false,
  projects: { mode: 'all', names: [] },
  agents: { mode: 'all', names: [] },
  pausedUntil: null,
})

/** Stored preferences: a missing field takes its default. */
export const notificationPrefsSchema = z.object({
  enabled: notificationPrefsShape.enabled.default(true),
  onFailed: notificationPrefsShape.onFailed.default(true),
  onCompleted: notificationPrefsShape.onCompleted.default(true),
  onWaiting: notificationPrefsShape.onWaiting.default(true),
  onStale: notificationPrefsShape.onStale.default(true),
  failuresOnly: notificationPrefsShape.failuresOnly.default(false),
  onlyWhenUnfocused: notificationPrefsShape.onlyWhenUnfocused.default(false),
  projects: nameFilterSchema.default(() => ({ mode: 'all' as const, names: [] })),
  agents: nameFilterSchema.default(() => ({ mode: 'all' as const, names: [] })),
  pausedUntil: notificationPrefsShape.pausedUntil.default(null),
})

/** Do-not-disturb choices offered by the tray and the settings view. */
export const pauseChoiceSchema = z.enum(['1h', 'tomorrow', 'off'])
export type PauseChoice = z.infer<typeof pauseChoiceSchema>

// ---- Settings ---------------------------------------------------------------------------------

const boundsSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(200).max(20000),
  height: z.number().int().min(150).max(20000),
  maximized: z.boolean().default(false),
})
export type WindowBounds = z.infer<typeof boundsSchema>

const urlText = z
  .string()
  .max(2048)
  .refine((v) => v === '' || URL.canParse(v), 'must be a URL or empty')

const isHttpUrl = (v: string): boolean => {
  try {
    const u = new URL(v)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host !== ''
  } catch {
    return false
  }
}
/** A backend base URL: http(s) only (`localhost:8080` parses as a URL of scheme "localhost:"). */
const httpUrlText = z
  .string()
  .max(2048)
  .refine(
    (v) => v === '' || isHttpUrl(v),
    'must be an http:// or https:// URL (e.g. http://localhost:8080) or empty',
  )

/**
 * What is stored in `settings.json` (userData). Secrets are never here in clear: they live in
 * `secrets` as safeStorage ciphertext (base64), see SettingsView for what the renderer sees.
 */
export const settingsSchema = z.object({
  version: z.literal(1).default(1),
  backend: z
    .object({
      mode: z.enum(['embedded', 'remote']).default('embedded'),
      /** Redis for the embedded backend, without password; '' = no Redis (SQLite + in-process bus). */
      redisUrl: urlText.default(''),
      /** Remote mode: base URL of a `taskpulse serve`. */
      remoteUrl: urlText.default(''),
    })
    .default(() => ({ mode: 'embedded' as const, redisUrl: '', remoteUrl: '' })),
  notifications: notificationPrefsSchema.default(defaultNotificationPrefs),
  app: z
    .object({
      closeToTray: z.boolean().default(true),
      startAtLogin: z.boolean().default(false),
    })
    .default(() => ({ closeToTray: true, startAtLogin: false })),
  window: boundsSchema.nullable().default(null),
  secrets: z
    .object({
      /** base64 of safeStorage.encryptString (or of the clear text when `plain`). */
      redisPassword: z.string().max(8192).optional(),
      remoteToken: z.string().max(8192).optional(),
      /** True when the OS offered no secret store and the values are only base64. */
      plain: z.boolean().default(false),
    })
    .default(() => ({ plain: false })),
})
export type Settings = z.infer<typeof settingsSchema>

/** Where secrets end up: an OS secret store, a weak one (Linux basic_text) or none at all. */
export type SecretStorageKind = 'os' | 'weak' | 'unavailable'

/** What the renderer gets from `getSettings()`: no secret ever crosses the bridge. */
export interface SettingsView {
  backend: Settings['backend']
  notifications: NotificationPrefs
  app: Settings['app']
  secrets: { redisPasswordSet: boolean; remoteTokenSet: boolean }
  secretStorage: SecretStorageKind
  /** Launch-time environment overrides in force (TASKPULSE_REDIS_URL, TASKPULSE_BACKEND_URL). */
  overrides: { redisUrl: boolean; remote: boolean }
  /** Things to tell the user: a corrupt settings file kept aside, a secret that no longer decrypts,
   * secrets saved without an OS secret store. */
  warnings: string[]
}

/** What `setSettings()` accepts: any subset; secrets as clear text ('' clears one). */
export const settingsPatchSchema = z
  .object({
    backend: z
      .object({
        mode: z.enum(['embedded', 'remote']),
        redisUrl: urlText,
        remoteUrl: httpUrlText,
      })
      .partial()
      .strict(),
    notifications: z.object(notificationPrefsShape).partial().strict(),
    app: z.object({ closeToTray: z.boolean(), startAtLogin: z.boolean() }).partial().strict(),
    secrets: z
      .object({ redisPassword: z.string().max(4096), remoteToken: z.string().max(4096) })
      .partial()
      .strict(),
  })
  .partial()
  .strict()
export type SettingsPatch = z.infer<typeof settingsPatchSchema>

/** A remote backend to probe from the settings view before saving it. */
export const testConnectionRequestSchema = z
  .object({
    url: httpUrlText.refine((v) => v !== '', 'url is required'),
    token: z.string().max(4096).optional(),
  })
  .strict()
export type TestConnectionRequest = z.infer<typeof testConnectionRequestSchema>
export interface TestConnectionResult {
  /** Human-readable outcome, e.g. "Connected: TaskPulse 0.1.0, Redis connected, 12 ms". */
  message: string
  version: string
  redis: string
  latencyMs: number
}

export type BackendState =
  /** `upgrading`: the backend is migrating an older data dir (one-off; minutes when large). */
  | { status: 'starting'; upgrading?: { from: number; to: number; tasks: number } }
  | { status: 'running'; connection: Connection }
  | { status: 'restarting'; attempt: number; inMs: number; lastError: string }
  | { status: 'failed'; error: string }
  | { status: 'stopped' }

// ---- Invoke arguments --------------------------------------------------------------------------

/** The zod schema main parses each call's arguments with, one per entry of `invokeContract`
 * (src-shared/ipc-contract.ts): the type makes a missing or mismatched schema a compile error. */
export const invokeArgsSchemas: { [K in InvokeName]: z.ZodType<InvokeArgs<K>> } = {
  getConnection: z.tuple([]),
  getSettings: z.tuple([]),
  setSettings: z.tuple([settingsPatchSchema]),
  testConnection: z.tuple([testConnectionRequestSchema]),
  getBackendStatus: z.tuple([]),
  retryBackend: z.tuple([]),
  pauseNotifications: z.tuple([pauseChoiceSchema]),
}
