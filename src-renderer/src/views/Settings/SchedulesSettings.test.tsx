// Settings → Schedules: lists schedules with their next run and state, adds one through a labelled
// form (client-side messages first, then the server's message next to the field it names), edits
// with the id fixed, and deletes in two steps. The REST client is the real one over a fake fetch
// that answers like the server (the backend's own tests cover the server).
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { makeParts, withParts } from '../../../../test/fakes/renderer/parts'
import { createSchedulesApi, type ScheduleView } from '../../net/schedules-api'
import { SchedulesSettings, validateScheduleDraft } from './SchedulesSettings'

const NIGHTLY: ScheduleView = {
  schedule_id: 'nightly',
  cron: '0 2 * * *',
  timezone: 'Europe/Berlin',
  grace_seconds: 900,
  title: 'Nightly backup',
  assignee: 'cron@db1',
  project_id: 'ops',
  max_runtime_seconds: null,
  next_occurrences: ['2026-06-02T00:00:00.000Z'],
  state: 'missed',
}

interface Call {
  method: string
  path: string
  body: unknown
  auth: string | null
}

/** A fetch that keeps schedules like the server and refuses a cron it cannot read with a 400. */
function serverFetch(initial: ScheduleView[]) {
  const items = new Map(initial.map((s) => [s.schedule_id, s]))
  const calls: Call[] = []
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
  const impl: typeof fetch = (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    const method = init?.method ?? 'GET'
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
    const auth = new Headers(init?.headers).get('authorization')
    calls.push({ method, path: url.pathname, body, auth })
    const id = decodeURIComponent(url.pathname.split('/')[3] ?? '')
    if (method === 'GET') return Promise.resolve(json(200, { schedules: [...items.values()] }))
    if (method === 'DELETE') {
      items.delete(id)
      return Promise.resolve(json(200, { deleted: id }))
    }
    const b = body as Omit<ScheduleView, 'schedule_id' | 'next_occurrences' | 'state'>
    if (b.cron.startsWith('61')) {
      const message = "cron '61 * * * *' is not valid: CronPattern: Invalid value for minute: 61"
      return Promise.resolve(
        json(400, {
          error: {
            code: 'invalid_schedule',
            message: `invalid schedule: cron: ${message}`,
            details: [{ path: 'cron', message }],
          },
        }),
      )
    }
    const view: ScheduleView = { schedule_id: id, ...b, next_occurrences: [], state: 'never_run' }
    items.set(id, view)
    return Promise.resolve(json(200, view))
  }
  return { impl, calls }
}

function open(initial: ScheduleView[]) {
  const server = serverFetch(initial)
  const parts = makeParts()
  const api = createSchedulesApi(() => parts.connection.current(), server.impl)
  render(withParts(parts, <SchedulesSettings api={api} />))
  return server
}

const type = (label: string | RegExp, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } })

afterEach(cleanup)

describe('Settings → Schedules', () => {
  it('lists each schedule with its cron, zone, next run and state, under a heading', async () => {
    open([NIGHTLY])
    const section = screen.getByRole('region', { name: 'Schedules' })
    const row = await within(section).findByRole('row', { name: /nightly/ })
    expect(row.textContent).toContain('0 2 * * *')
    expect(row.textContent).toContain('Europe/Berlin, grace 900 s')
    expect(row.textContent).toContain('Last run missed')
    expect(within(row).getByRole('button', { name: 'Edit nightly' })).toBeTruthy()
  })

  it('adds a schedule: the form says what is wrong first, then sends it with the token', async () => {
    const server = open([])
    await screen.findByText('No schedules yet.')
    fireEvent.click(screen.getByRole('button', { name: 'New schedule' }))
    const form = screen.getByRole('form', { name: 'New schedule' })
    type('Id', 'bad id!')
    type('Cron', '0 2 *')
    type('Grace (seconds)', 'soon')
    fireEvent.click(within(form).getByRole('button', { name: 'Add schedule' }))
    const cron = screen.getByLabelText('Cron')
    expect(cron.getAttribute('aria-invalid')).toBe('true')
    expect(cron.getAttribute('aria-describedby')).toMatch(/error/)
    expect(screen.getByText(/this one has 3/)).toBeTruthy()
    expect(screen.getByText(/1–64 characters/)).toBeTruthy()
    expect(screen.getByText(/whole number of seconds, at least 1/)).toBeTruthy()
    expect(server.calls.filter((c) => c.method === 'PUT')).toEqual([])

    type('Id', 'hourly')
    type('Cron', '5 * * * *')
    type('Time zone', 'America/New_York')
    type('Grace (seconds)', '120')
    type('Title', 'Hourly sync')
    fireEvent.click(within(form).getByRole('button', { name: 'Add schedule' }))
    await screen.findByText('Schedule hourly saved.')
    const put = server.calls.find((c) => c.method === 'PUT')!
    expect(put).toMatchObject({
      path: '/api/schedules/hourly',
      auth: 'Bearer tok',
      body: {
        cron: '5 * * * *',
        timezone: 'America/New_York',
        grace_seconds: 120,
        title: 'Hourly sync',
        assignee: null,
        project_id: null,
        max_runtime_seconds: null,
      },
    })
    await screen.findByRole('row', { name: /hourly/ })
    expect(screen.queryByRole('form')).toBeNull()
  })

  it("shows the server's message next to the field it names", async () => {
    open([NIGHTLY])
    fireEvent.click(await screen.findByRole('button', { name: 'Edit nightly' }))
    const form = screen.getByRole('form', { name: 'Edit schedule nightly' })
    expect(screen.getByLabelText<HTMLInputElement>('Id').disabled).toBe(true)
    expect(screen.getByLabelText<HTMLInputElement>('Cron').value).toBe('0 2 * * *')
    type('Cron', '61 * * * *')
    fireEvent.click(within(form).getByRole('button', { name: 'Save schedule' }))
    expect((await screen.findByRole('alert')).textContent).toMatch(/invalid schedule: cron/)
    await waitFor(() => expect(screen.getByLabelText('Cron').getAttribute('aria-invalid')).toBe('true'))
    expect(screen.getAllByText(/Invalid value for minute: 61/).length).toBeGreaterThanOrEqual(2)
  })

  it('deletes in two steps', async () => {
    const server = open([NIGHTLY])
    fireEvent.click(await screen.findByRole('button', { name: 'Delete nightly' }))
    expect(server.calls.some((c) => c.method === 'DELETE')).toBe(false)
    fireEvent.click(screen.getByRole('button', { name: 'Confirm delete nightly' }))
    await screen.findByText('Schedule nightly deleted.')
    expect(server.calls.find((c) => c.method === 'DELETE')?.path).toBe('/api/schedules/nightly')
    await screen.findByText('No schedules yet.')
  })

  it('validates drafts without the server', () => {
    const draft = {
      id: 'x',
      cron: '*/5 * * * * *',
      timezone: 'UTC',
      grace: '2',
      title: '',
      assignee: '',
      project: '',
      maxRuntime: '',
    }
    expect(validateScheduleDraft(draft, false)).toEqual({})
    expect(validateScheduleDraft({ ...draft, cron: '@daily' }, false)).toEqual({})
    expect(
      Object.keys(validateScheduleDraft({ ...draft, maxRuntime: '-1', timezone: ' ' }, false)).sort(),
    ).toEqual(['max_runtime_seconds', 'timezone'])
  })
})
