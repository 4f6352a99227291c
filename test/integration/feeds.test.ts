// The read-only feeds on the real built server, read as their consumers read them: the ICS through
// ical.js (a real iCalendar parser), the cctray XML through fast-xml-parser with the attributes the
// cctray format defines. Only the current feed key opens them (not the API token, not a rotated
// key); the feed key comes from the real CLI. Hostile schedule input gets a 400 and the server
// stays up.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import ICAL from 'ical.js'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, startBackend, tempDir, removeDir, type Backend } from '../helpers/backend-process'
import { putTask } from './resilience-helpers'

const BIN = join(REPO_ROOT, 'bin', 'taskpulse.js')

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    p.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

/** ical.js's parse() is typed loosely (any); a VCALENDAR text parses to one component's jCal array. */
function parseIcs(text: string): ICAL.Component {
  return new ICAL.Component(ICAL.parse(text) as unknown[])
}

let backend: Backend
let dir: string
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString()

beforeAll(async () => {
  dir = tempDir()
  backend = await startBackend({ dataDir: dir })
  const put = async (id: string, body: Record<string, unknown>) =>
    expect((await putTask(backend, id, body)).status).toBeLessThan(300)
  await put('build-1', {
    status: 'running',
    title: 'Build one',
    assignee: 'agent-a',
    project_id: 'web',
    updated_at: iso(3_600_000),
  })
  await put('build-1', { status: 'completed', updated_at: iso(3_000_000) })
  await put('build-2', {
    status: 'running',
    title: 'Build two',
    assignee: 'agent-a',
    project_id: 'web',
    updated_at: iso(2_000_000),
  })
  await put('build-2', {
    status: 'failed',
    error: 'exit 3: tests <failed> & "quoted"',
    updated_at: iso(1_000_000),
  })
  await put('deploy-1', {
    status: 'running',
    title: 'Deploy',
    assignee: 'agent-b',
    project_id: 'ops',
    updated_at: iso(60_000),
  })
  await put('ancient', {
    status: 'completed',
    title: 'Too old',
    assignee: 'agent-c',
    updated_at: iso(40 * 86400_000),
  })
  const res = await backend.api('/api/schedules/nightly', {
    method: 'PUT',
    body: JSON.stringify({
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
      title: 'Nightly',
      assignee: 'agent-b',
      project_id: 'ops',
    }),
  })
  expect(res.status).toBe(201)
})
afterAll(async () => {
  await backend?.stop()
  if (dir) removeDir(dir)
})

async function rotate(): Promise<{ key: string; ics: string; cctray: string }> {
  const out = await cli(['feed-key', 'rotate', '--server', backend.url, '--token', backend.token])
  expect(out.code, out.stderr).toBe(0)
  const line = (name: string) => new RegExp(`^${name}: (\\S+)$`, 'm').exec(out.stdout)?.[1] ?? ''
  return { key: line('key'), ics: line('ics'), cctray: line('cctray') }
}

describe('feeds', () => {
  it('are closed until a key exists, and the API token never opens them', async () => {
    expect((await fetch(`${backend.url}/feeds/tasks.ics`)).status).toBe(401)
    const withToken = await fetch(`${backend.url}/feeds/cctray.xml?key=${backend.token}`)
    expect(withToken.status).toBe(401)
    expect(((await withToken.json()) as { error: { message: string } }).error.message).toMatch(
      /API token is not accepted/,
    )
    const bearer = await fetch(`${backend.url}/feeds/tasks.ics`, {
      headers: { authorization: `Bearer ${backend.token}` },
    })
    expect(bearer.status).toBe(401)
  })

  it('the ICS holds the last 30 days of runs and the next 30 days of occurrences, as ical.js reads it', async () => {
    const { key, ics } = await rotate()
    expect(ics).toBe(`${backend.url}/feeds/tasks.ics?key=${key}`)
    const res = await fetch(ics)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/calendar/)
    const text = await res.text()
    const calendar = parseIcs(text)
    expect(String(calendar.getFirstPropertyValue('refresh-interval'))).toBe('PT5M')
    const events = calendar.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v))
    const byUid = new Map(events.map((e) => [e.uid, e]))
    expect(byUid.has('ancient@taskpulse')).toBe(false)

    const failed = byUid.get('build-2@taskpulse')!
    expect(failed.summary).toBe('Build two (failed)')
    expect(failed.description).toContain('Agent: agent-a')
    expect(failed.description).toContain('Project: web')
    expect(failed.description).toContain('Error: exit 3: tests <failed> & "quoted"')
    expect(failed.component.getFirstPropertyValue('categories')).toBe('failed')
    expect(failed.component.getFirstPropertyValue('url')).toBe(`${backend.url}/#/task/build-2`)
    expect(failed.startDate.toJSDate().getTime()).toBeLessThan(failed.endDate.toJSDate().getTime())
    expect(byUid.get('build-1@taskpulse')!.component.getFirstPropertyValue('categories')).toBe('completed')
    expect(byUid.get('deploy-1@taskpulse')!.component.getFirstPropertyValue('categories')).toBe('running')

    const upcoming = events.filter((e) => e.uid.startsWith('occurrence:nightly:'))
    expect(upcoming.length).toBeGreaterThanOrEqual(29)
    expect(upcoming.length).toBeLessThanOrEqual(31)
    for (const o of upcoming) {
      expect(o.component.getFirstPropertyValue('categories')).toBe('scheduled')
      // 03:00 in Berlin is 01:00 or 02:00 UTC depending on the season.
      expect([1, 2]).toContain(o.startDate.toJSDate().getUTCHours())
    }

    // Filters: project, agent, status.
    const uids = async (query: string) => {
      const r = await fetch(`${ics}&${query}`)
      expect(r.status).toBe(200)
      const c = parseIcs(await r.text())
      return c.getAllSubcomponents('vevent').map((v) => String(v.getFirstPropertyValue('uid')))
    }
    expect((await uids('project=web')).sort()).toEqual(['build-1@taskpulse', 'build-2@taskpulse'])
    expect((await uids('agent=agent-a&status=failed')).sort()).toEqual(['build-2@taskpulse'])
    const opsScheduled = await uids('project=ops&status=scheduled')
    expect(opsScheduled.length).toBeGreaterThanOrEqual(29)
    expect(opsScheduled.every((u) => u.startsWith('occurrence:nightly:'))).toBe(true)
    expect((await fetch(`${ics}&status=bogus`)).status).toBe(400)
  })

  it('the cctray XML has one Project per agent (or project) with the attributes cctray defines', async () => {
    const { cctray } = await rotate()
    const res = await fetch(cctray)
    expect(res.status).toBe(200)
    const xml = await res.text()
    expect(XMLValidator.validate(xml)).toBe(true)
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (name) => name === 'Project',
    })
    const doc = parser.parse(xml) as { Projects: { Project: Record<string, string>[] } }
    const projects = new Map(doc.Projects.Project.map((p) => [p.name, p]))
    for (const p of projects.values()) {
      for (const attr of ['name', 'activity', 'lastBuildStatus', 'lastBuildLabel', 'lastBuildTime', 'webUrl'])
        expect(p, attr).toHaveProperty(attr)
      expect(['Sleeping', 'Building', 'CheckingModifications']).toContain(p.activity)
      expect(['Success', 'Failure', 'Exception', 'Unknown']).toContain(p.lastBuildStatus)
      expect(Number.isNaN(Date.parse(p.lastBuildTime!))).toBe(false)
    }
    expect(projects.get('agent-a')).toMatchObject({
      activity: 'Sleeping',
      lastBuildStatus: 'Failure',
      lastBuildLabel: 'Build two',
    })
    const b = projects.get('agent-b')!
    expect(b).toMatchObject({ activity: 'Building', lastBuildStatus: 'Unknown' })
    expect(Date.parse(b.nextBuildTime!)).toBeGreaterThan(Date.now())
    expect(projects.get('agent-c')).toMatchObject({ lastBuildStatus: 'Success' })

    const byProject = parser.parse(await (await fetch(`${cctray}&by=project`)).text()) as typeof doc
    const names = byProject.Projects.Project.map((p) => p.name).sort()
    expect(names).toEqual(['ops', 'web'])
    expect(byProject.Projects.Project.find((p) => p.name === 'web')).toMatchObject({
      lastBuildStatus: 'Failure',
    })
  })

  it('a rotated key stops working at once', async () => {
    const first = await rotate()
    expect((await fetch(first.cctray)).status).toBe(200)
    const second = await rotate()
    expect((await fetch(first.cctray)).status).toBe(401)
    expect((await fetch(first.ics)).status).toBe(401)
    expect((await fetch(second.cctray)).status).toBe(200)
    expect((await fetch(`${backend.url}/feeds/cctray.xml?key=`)).status).toBe(401)
  })
})

describe('schedule input and the CLI', () => {
  const put = (id: string, body: unknown, contentType = 'application/json') =>
    backend.api(`/api/schedules/${encodeURIComponent(id)}`, {
      method: 'PUT',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': contentType },
    })

  it('hostile input gets a 400 with a clear message, and the server stays up', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['s1', { cron: '61 * * * *' }, /cron: cron '61 \* \* \* \*' is not valid/],
      ['s1', { cron: 'every day' }, /cron must have 5 fields/],
      ['s1', { cron: '* * * * *', timezone: 'Mars/Olympus_Mons' }, /unknown time zone 'Mars\/Olympus_Mons'/],
      ['s1', { cron: '*'.repeat(100_000) }, /cron/],
      ['s1', { cron: '* * * * *', title: 'x'.repeat(50_000) }, /title/],
      ['s1', { cron: '* * * * *', grace_seconds: -1 }, /grace_seconds/],
      ['s1', { cron: '* * * * *', grace_seconds: 'soon' }, /grace_seconds/],
      ['s1', { cron: '* * * * *', surprise: true }, /surprise|unrecognized/i],
      ['s1', [1, 2, 3], /invalid schedule/],
      ['x'.repeat(65), { cron: '* * * * *' }, /schedule id/],
      ['occurrences', { cron: '* * * * *' }, /reserved/],
    ]
    for (const [id, body, message] of cases) {
      const res = await put(id, body)
      const text = await res.text()
      expect(res.status, text.slice(0, 200)).toBe(400)
      expect((JSON.parse(text) as { error: { message: string } }).error.message).toMatch(message)
    }
    expect((await put('s1', '{"cron":')).status).toBe(400)
    expect((await put('s1', 'cron=1', 'text/plain')).status).toBe(415)
    expect((await put('s1', JSON.stringify({ cron: 'x'.repeat(1_100_000) }))).status).toBe(413)
    expect((await backend.api('/api/schedules/occurrences?from=2026-01-01&to=2020-01-01')).status).toBe(400)
    expect((await backend.api('/api/schedules/occurrences?from=2026-01-01&to=2030-01-01')).status).toBe(400)
    expect((await backend.api('/api/schedules/s1')).status).toBe(404)
    expect((await fetch(`${backend.url}/api/schedules`)).status).toBe(401)
    expect((await backend.api('/api/health')).status).toBe(200)
    expect(backend.proc.exitCode).toBeNull()
  })

  it('taskpulse schedule set, ls and rm', async () => {
    const auth = ['--server', backend.url, '--token', backend.token]
    const set = await cli([
      'schedule',
      'set',
      'cli-job',
      '--cron',
      '*/15 * * * *',
      '--tz',
      'America/New_York',
      '--grace',
      '120',
      '--title',
      'From the CLI',
      ...auth,
    ])
    expect(set.code, set.stderr).toBe(0)
    expect(JSON.parse(set.stdout)).toMatchObject({
      schedule_id: 'cli-job',
      timezone: 'America/New_York',
      grace_seconds: 120,
    })
    const ls = await cli(['schedule', 'ls', ...auth])
    expect(ls.code).toBe(0)
    const listed = ls.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { schedule_id: string; next_occurrences: string[] })
    expect(listed.find((s) => s.schedule_id === 'cli-job')?.next_occurrences).toHaveLength(5)
    const bad = await cli(['schedule', 'set', 'cli-job', '--cron', '99 * * * *', ...auth])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/answered 400: invalid schedule: cron/)
    expect(
      (await cli(['schedule', 'set', 'cli-job', '--cron', '* * * * *', '--grace', 'soon', ...auth])).code,
    ).toBe(2)
    expect((await cli(['schedule', 'rm', 'cli-job', ...auth])).code).toBe(0)
    const again = await cli(['schedule', 'rm', 'cli-job', ...auth])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/404: no schedule cli-job/)
    const down = await cli(['schedule', 'ls', '--server', 'http://127.0.0.1:9', '--token', 'x'])
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(/cannot reach the server/)
  })
})
