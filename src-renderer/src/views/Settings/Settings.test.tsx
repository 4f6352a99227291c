import { afterEach, describe, expect, it } from 'vitest'
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { Settings } from './Settings'
import { App } from '../../App'
import { makeParts, withParts } from '../../../../test/fakes/renderer/parts'
import {
  createFakeDesktop,
  disposeFakeDesktops,
  type FakeDesktop,
} from '../../../../test/fakes/renderer/fake-desktop'
import { draftFrom, parseNames, patchFrom, tokenForTest, validate } from './settings-form'
import type { DesktopApi } from '../../../../src-shared/ipc-contract'
import type { SettingsView } from '../../../../src-shared/ipc'

const w = window as unknown as { desktop?: DesktopApi }

async function open(fake: FakeDesktop | null, connection?: Parameters<typeof makeParts>[0]) {
  if (fake) w.desktop = fake satisfies DesktopApi
  const parts = makeParts(connection)
  render(withParts(parts, <Settings />))
  if (fake) await screen.findByRole('form', { name: 'Desktop settings' })
  return parts
}

const save = () => fireEvent.click(screen.getByRole('button', { name: 'Save' }))
const check = (name: string | RegExp) => fireEvent.click(screen.getByRole('checkbox', { name }))
const type = (label: string | RegExp, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } })

describe('desktop settings view', () => {
  afterEach(() => {
    cleanup()
    delete w.desktop
    disposeFakeDesktops()
  })

  it('loads the settings, backend status and warnings; secrets only as set / not set', async () => {
    // A settings file main could not read (kept aside, defaults used), then a Redis URL and
    // password saved on a system without a secret store.
    const fake = createFakeDesktop({ settingsFile: '{ not json', safeStorage: { available: false } })
    fake.main.settings.update({
      backend: { redisUrl: 'redis://cache.local:6379' },
      secrets: { redisPassword: 'pw' },
    })
    await open(fake)
    expect(fake.calls.map((c) => c.method)).toEqual(
      expect.arrayContaining(['getSettings', 'getBackendStatus']),
    )
    expect(screen.getByRole('radio', { name: /Embedded/ })).toHaveProperty('checked', true)
    expect(screen.getByLabelText('Redis URL')).toHaveProperty('value', 'redis://cache.local:6379')
    expect(screen.getByText('Redis password: set')).toBeTruthy()
    const pw = screen.getByLabelText<HTMLInputElement>('New redis password')
    expect(pw.type).toBe('password')
    expect(pw.value).toBe('')
    const warnings = screen.getByRole('alert', { name: 'Warnings' })
    expect(warnings.textContent).toMatch(/defaults used, old file kept as \S*settings\.json\.corrupt-/)
    expect(screen.getByRole('note').textContent).toContain('stored unencrypted')
    await screen.findByText('Backend: Running')
    expect(screen.getByText('Embedded backend at http://127.0.0.1:4100')).toBeTruthy()
    expect(screen.getByRole('checkbox', { name: 'Close to tray' })).toHaveProperty('checked', true)
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', true)
    // Every form control has an accessible name.
    const form = screen.getByRole('form', { name: 'Desktop settings' })
    for (const el of form.querySelectorAll('input, select, textarea, button')) {
      const id = el.getAttribute('id')
      const named =
        el.closest('label') ||
        (id && form.querySelector(`label[for="${id}"]`)) ||
        el.getAttribute('aria-label') ||
        (el.tagName === 'BUTTON' && el.textContent?.trim())
      expect(named, el.outerHTML).toBeTruthy()
    }
  })

  it('sends exactly what changed, and shows the saved state', async () => {
    const fake = createFakeDesktop()
    await open(fake)
    type('Redis URL', 'redis://10.0.0.5:6379/2')
    type('Redis password', 's3cret')
    check('Failures only')
    check('Only when the TaskPulse window is not focused')
    fireEvent.change(screen.getByLabelText('Agents'), { target: { value: 'only' } })
    type(/Agents: only these/, 'etl-nightly, test-runner\n etl-nightly\n')
    fireEvent.change(screen.getByLabelText('Projects'), { target: { value: 'except' } })
    type(/Projects: all but these/, 'sandbox')
    check('Start at login')
    expect(screen.getByText('Unsaved changes.')).toBeTruthy()
    save()
    await screen.findByText('Saved. The backend follows the new settings.')
    expect(fake.patches).toEqual([
      {
        backend: { redisUrl: 'redis://10.0.0.5:6379/2' },
        secrets: { redisPassword: 's3cret' },
        notifications: {
          failuresOnly: true,
          onlyWhenUnfocused: true,
          projects: { mode: 'except', names: ['sandbox'] },
          agents: { mode: 'only', names: ['etl-nightly', 'test-runner'] },
        },
        app: { startAtLogin: true },
      },
    ])
    // The password left the renderer: the field is empty again and the view says "set".
    expect(screen.getByText('Redis password: set')).toBeTruthy()
    expect(screen.getByLabelText<HTMLInputElement>('New redis password').value).toBe('')
    expect(document.body.innerHTML).not.toContain('s3cret')
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', true)
    // "completes" is overridden by "failures only" and says so by being unticked and disabled.
    const completes = screen.getByRole('checkbox', { name: 'completes' })
    expect(completes).toHaveProperty('disabled', true)
    expect(completes).toHaveProperty('checked', false)
  })

  it('switches the waiting and stale notifications on their own; "Failures only" leaves them on', async () => {
    const fake = createFakeDesktop()
    await open(fake)
    const waiting = screen.getByRole('checkbox', { name: 'needs input (waiting)' })
    const stale = screen.getByRole('checkbox', { name: /goes stale/ })
    expect(waiting).toHaveProperty('checked', true)
    expect(stale).toHaveProperty('checked', true)
    check('needs input (waiting)')
    save()
    await screen.findByText('Saved.')
    check(/goes stale/)
    check('Failures only')
    save()
    await waitFor(() => expect(fake.patches).toHaveLength(2))
    expect(fake.patches).toEqual([
      { notifications: { onWaiting: false } },
      { notifications: { onStale: false, failuresOnly: true } },
    ])
    // The real settings store behind the fake bridge kept both switches.
    expect(fake.main.settings.get().notifications).toMatchObject({
      onWaiting: false,
      onStale: false,
      failuresOnly: true,
    })
    // "Failures only" overrides completions, not the two attention switches.
    await waitFor(() =>
      expect(screen.getByRole('checkbox', { name: 'needs input (waiting)' })).toHaveProperty(
        'checked',
        false,
      ),
    )
    expect(screen.getByRole('checkbox', { name: 'needs input (waiting)' })).toHaveProperty('disabled', false)
    check('needs input (waiting)')
    expect(screen.getByRole('checkbox', { name: 'needs input (waiting)' })).toHaveProperty('checked', true)
    // With notifications off, both are disabled.
    check('Show notifications')
    expect(screen.getByRole('checkbox', { name: 'needs input (waiting)' })).toHaveProperty('disabled', true)
    expect(screen.getByRole('checkbox', { name: /goes stale/ })).toHaveProperty('disabled', true)
  })

  it('clears a saved secret only when asked', async () => {
    const fake = createFakeDesktop()
    fake.main.settings.update({ secrets: { redisPassword: 'pw' } })
    await open(fake)
    check('Remove the saved redis password')
    save()
    await screen.findByText(/^Saved/)
    expect(fake.patches).toEqual([{ secrets: { redisPassword: '' } }])
    expect(screen.getByText('Redis password: not set')).toBeTruthy()
  })

  it('shows an error returned by main and keeps the edits', async () => {
    const fake = createFakeDesktop()
    fake.main.breakSettingsWrites()
    await open(fake)
    check('Close to tray')
    save()
    const alert = await screen.findByText(/Not saved: EISDIR/)
    expect(alert.closest('[role="alert"]')).toBeTruthy()
    expect(screen.getByRole('checkbox', { name: 'Close to tray' })).toHaveProperty('checked', false)
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', false)
    fake.main.repairSettingsWrites()
    save()
    await screen.findByText('Saved.')
    expect(fake.patches).toEqual([{ app: { closeToTray: false } }, { app: { closeToTray: false } }])
  })

  it('a bridge call that throws reads as an error too', async () => {
    const fake = createFakeDesktop()
    fake.setSettings = () => Promise.reject(new Error('IPC channel closed'))
    await open(fake)
    check('Close to tray')
    save()
    await screen.findByText(/Not saved: IPC channel closed/)
  })

  it('refuses to save what main would refuse, saying why', async () => {
    const fake = createFakeDesktop()
    await open(fake)
    type('Redis URL', 'localhost:6379')
    expect(screen.getByText(/Use a redis:\/\/ or rediss:\/\/ URL/)).toBeTruthy()
    expect(screen.getByLabelText('Redis URL').getAttribute('aria-invalid')).toBe('true')
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', true)
    fireEvent.submit(screen.getByRole('form', { name: 'Desktop settings' }))
    expect(fake.patches).toEqual([])
  })

  it('remote mode: URL and token, Test connection shows a clear result', async () => {
    const fake = createFakeDesktop()
    await open(fake)
    fireEvent.click(screen.getByRole('radio', { name: /Remote/ }))
    expect(screen.queryByLabelText('Redis URL')).toBeNull()
    const test = screen.getByRole('button', { name: 'Test connection' })
    expect(test).toHaveProperty('disabled', true)
    expect(screen.getByText('Remote mode needs the server address.')).toBeTruthy()
    type('Server URL', 'https://pulse.example.com')
    type('Token', 'team-token')
    fireEvent.click(test)
    await screen.findByText('Connection works.')
    expect(fake.calls.find((c) => c.method === 'testConnection')!.arg).toEqual({
      url: 'https://pulse.example.com',
      token: 'team-token',
    })
    expect(screen.getByText(/Connected: TaskPulse 0.1.0, Redis connected, 12 ms/)).toBeTruthy()

    // The server accepts only team-token.
    type('Token', 'wrong')
    fireEvent.click(test)
    await screen.findByText('Connection failed.')
    const result = screen.getByText(/token was refused/).closest('[role="status"]')!
    expect(result.getAttribute('data-result')).toBe('error')
    expect(result.textContent).toContain('✕')

    type('Token', 'team-token')
    save()
    await screen.findByText(/^Saved/)
    expect(fake.patches.at(-1)).toEqual({
      backend: { mode: 'remote', remoteUrl: 'https://pulse.example.com' },
      secrets: { remoteToken: 'team-token' },
    })
    expect(screen.getByText('Token: set')).toBeTruthy()
  })

  it('tests a saved remote with the live token when none is typed', async () => {
    const fake = createFakeDesktop({
      env: { TASKPULSE_BACKEND_URL: 'https://pulse.example.com', TASKPULSE_TOKEN: 'live-tok' },
      remoteToken: 'live-tok',
    })
    fake.main.settings.update({
      backend: { mode: 'remote', remoteUrl: 'https://pulse.example.com/' },
      secrets: { remoteToken: 'saved-tok' },
    })
    const live = {
      url: 'https://pulse.example.com',
      wsUrl: 'wss://pulse.example.com/ws',
      token: 'live-tok',
      mode: 'remote' as const,
    }
    await open(fake, {
      connection: {
        resolve: async () => live,
        current: () => live,
        setToken: () => {},
        onChange: () => () => {},
        isDesktop: true,
      },
    })
    expect(screen.getByText(/TASKPULSE_BACKEND_URL/)).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Test connection' }))
    await screen.findByText('Connection works.')
    expect(fake.calls.find((c) => c.method === 'testConnection')!.arg).toEqual({
      url: 'https://pulse.example.com/',
      token: 'live-tok',
    })
  })

  it('do-not-disturb: pause 1 h, until tomorrow, resume', async () => {
    const fake = createFakeDesktop()
    await open(fake)
    const dnd = screen.getByRole('group', { name: 'Do not disturb' })
    expect(within(dnd).getByText('Notifications are on')).toBeTruthy()
    expect(within(dnd).getByRole('button', { name: 'Resume' })).toHaveProperty('disabled', true)
    fireEvent.click(within(dnd).getByRole('button', { name: 'Pause for 1 hour' }))
    await within(dnd).findByText(/^Paused until/)
    expect(dnd.querySelector('[data-paused]')!.getAttribute('data-paused')).toBe('yes')
    fireEvent.click(within(dnd).getByRole('button', { name: 'Pause until tomorrow' }))
    await waitFor(() => expect(within(dnd).getByText(/^Paused until/).textContent).toMatch(/, \d\d:\d\d/))
    fireEvent.click(within(dnd).getByRole('button', { name: 'Resume' }))
    await within(dnd).findByText('Notifications are on')
    expect(fake.calls.filter((c) => c.method === 'pauseNotifications').map((c) => c.arg)).toEqual([
      '1h',
      'tomorrow',
      'off',
    ])
    // Pausing is immediate, not an unsaved edit.
    expect(fake.patches).toEqual([])
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', true)
  })

  it('follows the backend status and offers Retry when the supervisor gave up', async () => {
    const fake = createFakeDesktop()
    await open(fake)
    await screen.findByText('Backend: Running')
    expect(screen.queryByRole('button', { name: 'Retry backend' })).toBeNull()
    act(() => fake.emitBackend({ status: 'starting', upgrading: { from: 7, to: 8, tasks: 100_000 } }))
    expect(screen.getByText('Backend: Upgrading')).toBeTruthy()
    expect(screen.getByText(/upgrading its data to this version \(100,000 tasks; a one-off/)).toBeTruthy()
    act(() => fake.emitBackend({ status: 'restarting', attempt: 3, inMs: 4000, lastError: 'exit code 1' }))
    expect(screen.getByText('Backend: Restarting (attempt 3)')).toBeTruthy()
    expect(screen.getByText('Next try in 4 s. Last error: exit code 1')).toBeTruthy()
    act(() => fake.emitBackend({ status: 'failed', error: '5 crashes in 60 s: EADDRINUSE' }))
    expect(screen.getByText('Backend: Stopped: gave up after repeated crashes')).toBeTruthy()
    expect(screen.getByText('5 crashes in 60 s: EADDRINUSE')).toBeTruthy()
    expect(document.querySelector('[data-backend-status]')!.getAttribute('data-backend-status')).toBe(
      'failed',
    )
    fireEvent.click(screen.getByRole('button', { name: 'Retry backend' }))
    await screen.findByText('Backend: Starting')
    expect(fake.calls.filter((c) => c.method === 'retryBackend')).toHaveLength(1)
    expect(screen.queryByRole('button', { name: 'Retry backend' })).toBeNull()
  })

  it('says so when the settings cannot be read', async () => {
    // Main refuses a page that is not the app's own.
    const fake = createFakeDesktop({ frameUrl: 'https://evil.example.com/' })
    w.desktop = fake
    render(withParts(makeParts(), <Settings />))
    expect(
      (await screen.findByText(/Could not read the desktop settings/)).closest('[role="alert"]'),
    ).toBeTruthy()
    expect(screen.getByText(/forbidden: untrusted sender/)).toBeTruthy()
  })

  it('in the desktop app a refused token leads to Settings instead of a dead end', async () => {
    const fake = createFakeDesktop()
    fake.main.settings.update({ backend: { mode: 'remote', remoteUrl: 'https://pulse.example.com' } })
    w.desktop = fake
    const parts = makeParts()
    parts.connection.isDesktop = true
    act(() => parts.status.getState().dispatch({ type: 'auth_rejected', at: Date.now(), message: '401' }))
    render(withParts(parts, <App />))
    expect(screen.getByRole('heading', { name: 'The backend rejected the token' })).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Open Settings' }))
    await screen.findByRole('form', { name: 'Desktop settings' })
    type('Token', 'fixed-token')
    save()
    await screen.findByText(/^Saved/)
    expect(fake.patches).toEqual([{ secrets: { remoteToken: 'fixed-token' } }])
  })

  it('lists every key the app handles, j/k/a and the calendar keys included', () => {
    render(withParts(makeParts(), <Settings />))
    const keys = Array.from(document.querySelectorAll('.keys dt')).map((d) => d.textContent)
    for (const k of ['/ or Ctrl+K', '1 – 4', 'Esc', 'j or ↓', 'k or ↑', 'a', '+ / −', 'Enter or Space'])
      expect(keys, k).toContain(k)
    const what = (k: string) =>
      Array.from(document.querySelectorAll('.keys-row'))
        .filter((r) => r.querySelector('dt')!.textContent === k)
        .map((r) => r.querySelector('dd')!.textContent)
    expect(what('a').join(' ')).toMatch(/Acknowledge/i)
    expect(what('j or ↓')).toEqual(['Next task in the list'])
  })

  it('in a plain browser keeps the token form and shows no desktop settings', async () => {
    const setToken: string[] = []
    const parts = makeParts()
    parts.connection.setToken = (t) => setToken.push(t)
    render(withParts(parts, <Settings />))
    expect(screen.queryByRole('form', { name: 'Desktop settings' })).toBeNull()
    fireEvent.change(screen.getByLabelText('New token'), { target: { value: ' abc ' } })
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }))
    expect(setToken).toEqual(['abc'])
  })
})

describe('settings form rules', () => {
  afterEach(disposeFakeDesktops)
  /** The view main sends for default settings, with `over` applied. */
  const defaultView = (over: Partial<SettingsView> = {}): SettingsView => ({
    ...createFakeDesktop().main.settings.view(),
    ...over,
  })
  it('an untouched draft makes an empty patch', () => {
    const v = defaultView({
      notifications: { ...defaultView().notifications, agents: { mode: 'only', names: ['a', 'b'] } },
    })
    expect(patchFrom(v, draftFrom(v))).toEqual({})
    expect(patchFrom(v, { ...draftFrom(v), agentsNames: 'a, b' })).toEqual({})
    expect(patchFrom(v, { ...draftFrom(v), agentsNames: 'b\na' })).toEqual({
      notifications: { agents: { mode: 'only', names: ['b', 'a'] } },
    })
  })
  it('parses names typed one per line or with commas', () => {
    expect(parseNames(' a, b\n\nc ,a,')).toEqual(['a', 'b', 'c'])
  })
  it('an "only these" filter with no names would silence everything: refused', () => {
    const d = { ...draftFrom(defaultView()), projectsMode: 'only' as const }
    expect(validate(d).projectsNames).toMatch(/List the projects/)
  })
  it('uses the live token for a test only against the same server', () => {
    const live = { url: 'https://a.example', token: 'T', mode: 'remote' }
    expect(tokenForTest('', 'https://a.example/', live)).toBe('T')
    expect(tokenForTest('', 'https://b.example', live)).toBeUndefined()
    expect(tokenForTest(' typed ', 'https://b.example', live)).toBe('typed')
    expect(tokenForTest('', 'https://a.example', { ...live, mode: 'embedded' })).toBeUndefined()
  })
})
