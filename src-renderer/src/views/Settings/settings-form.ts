// The desktop settings form as data: a draft built from the SettingsView main sends, the patch
// that saving sends back (only what changed; secrets only when typed or cleared), and the checks
// run before saving. Pure, so the rules are tested without rendering. Types only from
// src-shared/ipc: its zod schemas stay out of the renderer bundle.
import type {
  BackendState,
  NameFilter,
  NotificationPrefs,
  SettingsPatch,
  SettingsView,
} from '../../../../src-shared/ipc'

export type FilterMode = NameFilter['mode']

export interface Draft {
  mode: 'embedded' | 'remote'
  redisUrl: string
  remoteUrl: string
  /** A new Redis password; '' = keep the stored one. */
  redisPassword: string
  clearRedisPassword: boolean
  /** A new remote token; '' = keep the stored one. */
  remoteToken: string
  clearRemoteToken: boolean
  enabled: boolean
  onFailed: boolean
  onCompleted: boolean
  onWaiting: boolean
  onStale: boolean
  failuresOnly: boolean
  onlyWhenUnfocused: boolean
  projectsMode: FilterMode
  /** Names as typed: one per line or separated by commas. */
  projectsNames: string
  agentsMode: FilterMode
  agentsNames: string
  closeToTray: boolean
  startAtLogin: boolean
}

export type DraftErrors = Partial<Record<keyof Draft, string>>

export function draftFrom(v: SettingsView): Draft {
  const n = v.notifications
  return {
    mode: v.backend.mode,
    redisUrl: v.backend.redisUrl,
    remoteUrl: v.backend.remoteUrl,
    redisPassword: '',
    clearRedisPassword: false,
    remoteToken: '',
    clearRemoteToken: false,
    enabled: n.enabled,
    onFailed: n.onFailed,
    onCompleted: n.onCompleted,
    onWaiting: n.onWaiting,
    onStale: n.onStale,
    failuresOnly: n.failuresOnly,
    onlyWhenUnfocused: n.onlyWhenUnfocused,
    projectsMode: n.projects.mode,
    projectsNames: n.projects.names.join('\n'),
    agentsMode: n.agents.mode,
    agentsNames: n.agents.names.join('\n'),
    closeToTray: v.app.closeToTray,
    startAtLogin: v.app.startAtLogin,
  }
}

/** Names typed one per line or separated by commas: trimmed, empty ones dropped, duplicates once. */
export function parseNames(text: string): string[] {
  const out: string[] = []
  for (const raw of text.split(/[\n,]/)) {
    const name = raw.trim()
    if (name && !out.includes(name)) out.push(name)
  }
  return out
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i])

function filterPatch(mode: FilterMode, text: string, current: NameFilter): NameFilter | undefined {
  const names = parseNames(text)
  return mode === current.mode && sameList(names, current.names) ? undefined : { mode, names }
}

/** What saving sends: only the fields that differ from `v`. Empty object = nothing to save. */
export function patchFrom(v: SettingsView, d: Draft): SettingsPatch {
  const patch: SettingsPatch = {}
  const backend: NonNullable<SettingsPatch['backend']> = {}
  if (d.mode !== v.backend.mode) backend.mode = d.mode
  if (d.redisUrl.trim() !== v.backend.redisUrl) backend.redisUrl = d.redisUrl.trim()
  if (d.remoteUrl.trim() !== v.backend.remoteUrl) backend.remoteUrl = d.remoteUrl.trim()
  if (Object.keys(backend).length) patch.backend = backend

  const secrets: NonNullable<SettingsPatch['secrets']> = {}
  if (d.redisPassword) secrets.redisPassword = d.redisPassword
  else if (d.clearRedisPassword && v.secrets.redisPasswordSet) secrets.redisPassword = ''
  if (d.remoteToken.trim()) secrets.remoteToken = d.remoteToken.trim()
  else if (d.clearRemoteToken && v.secrets.remoteTokenSet) secrets.remoteToken = ''
  if (Object.keys(secrets).length) patch.secrets = secrets

  const n = v.notifications
  const notifications: Partial<NotificationPrefs> = {}
  for (const k of [
    'enabled',
    'onFailed',
    'onCompleted',
    'onWaiting',
    'onStale',
    'failuresOnly',
    'onlyWhenUnfocused',
  ] as const)
    if (d[k] !== n[k]) notifications[k] = d[k]
  const projects = filterPatch(d.projectsMode, d.projectsNames, n.projects)
  if (projects) notifications.projects = projects
  const agents = filterPatch(d.agentsMode, d.agentsNames, n.agents)
  if (agents) notifications.agents = agents
  if (Object.keys(notifications).length) patch.notifications = notifications

  const app: NonNullable<SettingsPatch['app']> = {}
  if (d.closeToTray !== v.app.closeToTray) app.closeToTray = d.closeToTray
  if (d.startAtLogin !== v.app.startAtLogin) app.startAtLogin = d.startAtLogin
  if (Object.keys(app).length) patch.app = app
  return patch
}

export const isEmptyPatch = (p: SettingsPatch) => Object.keys(p).length === 0

function urlWith(text: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(text).protocol)
  } catch {
    return false
  }
}

/** Problems that would make main refuse the patch, said in the user's terms. */
export function validate(d: Draft): DraftErrors {
  const e: DraftErrors = {}
  const redis = d.redisUrl.trim()
  if (redis && !urlWith(redis, ['redis:', 'rediss:']))
    e.redisUrl = 'Use a redis:// or rediss:// URL, or leave it empty to run without Redis.'
  else if (redis.length > 2048) e.redisUrl = 'At most 2,048 characters.'
  const remote = d.remoteUrl.trim()
  if (remote && !urlWith(remote, ['http:', 'https:']))
    e.remoteUrl = 'Use the http:// or https:// address of a taskpulse serve.'
  else if (remote.length > 2048) e.remoteUrl = 'At most 2,048 characters.'
  else if (d.mode === 'remote' && !remote) e.remoteUrl = 'Remote mode needs the server address.'
  if (d.redisPassword.length > 4096) e.redisPassword = 'At most 4,096 characters.'
  if (d.remoteToken.length > 4096) e.remoteToken = 'At most 4,096 characters.'
  for (const [k, label] of [
    ['projectsNames', 'project'],
    ['agentsNames', 'agent'],
  ] as const) {
    const names = parseNames(d[k])
    const mode = k === 'projectsNames' ? d.projectsMode : d.agentsMode
    if (names.length > 500) e[k] = `At most 500 ${label} names.`
    else if (names.some((x) => x.length > 256)) e[k] = `A ${label} name has at most 256 characters.`
    else if (mode !== 'all' && names.length === 0)
      e[k] =
        mode === 'only'
          ? `List the ${label}s to notify about (none listed would silence them all).`
          : `List the ${label}s to leave out.`
  }
  return e
}

/** "Paused until 17:30" (today) or "Paused until Tue 24 Nov, 00:00"; null when not paused. */
export function pausedText(pausedUntil: number | null, now: number): string | null {
  if (pausedUntil === null || pausedUntil <= now) return null
  const until = new Date(pausedUntil)
  const time = until.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  const sameDay = new Date(now).toDateString() === until.toDateString()
  if (sameDay) return `Paused until ${time}`
  const day = until.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short' })
  return `Paused until ${day}, ${time}`
}

export type Tone = 'ok' | 'busy' | 'bad' | 'idle'

/** The supervisor state in words, with a glyph, so it never relies on colour. */
export function describeBackend(s: BackendState): {
  tone: Tone
  icon: string
  title: string
  detail: string
} {
  switch (s.status) {
    case 'starting':
      return s.upgrading
        ? {
            tone: 'busy',
            icon: '◐',
            title: 'Upgrading',
            detail: `The backend is upgrading its data to this version (${s.upgrading.tasks.toLocaleString('en-US')} tasks; a one-off that can take minutes). Keep TaskPulse open until it is done: quitting starts it again next time.`,
          }
        : { tone: 'busy', icon: '◐', title: 'Starting', detail: 'The backend is starting…' }
    case 'running':
      return {
        tone: 'ok',
        icon: '✓',
        title: 'Running',
        detail: `${s.connection.mode === 'remote' ? 'Remote server' : 'Embedded backend'} at ${s.connection.url}`,
      }
    case 'restarting':
      return {
        tone: 'busy',
        icon: '◐',
        title: `Restarting (attempt ${s.attempt})`,
        detail: `Next try in ${Math.max(1, Math.round(s.inMs / 1000))} s. Last error: ${s.lastError}`,
      }
    case 'failed':
      return {
        tone: 'bad',
        icon: '✕',
        title: 'Stopped: gave up after repeated crashes',
        detail: s.error,
      }
    case 'stopped':
      return { tone: 'idle', icon: '○', title: 'Stopped', detail: 'The backend is not running.' }
  }
}

/** The remote token a "Test connection" can use when none is typed: the live one, if the window
 * is connected to that very server (the bridge never hands out stored secrets otherwise). */
export function tokenForTest(
  typed: string,
  remoteUrl: string,
  live: { url: string; token: string; mode: string } | null,
): string | undefined {
  if (typed.trim()) return typed.trim()
  const norm = (u: string) => u.trim().replace(/\/+$/, '')
  if (live && live.mode === 'remote' && live.token && norm(live.url) === norm(remoteUrl)) return live.token
  return undefined
}
