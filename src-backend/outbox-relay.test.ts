import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { Bus, BusState } from './bus/bus'
import { parseInbound } from './ingest'
import { createOutboxRelay } from './outbox-relay'
import { openTaskStore, type TaskStore } from './store/task-store'

const log = pino({ level: 'silent' })
const cleanups: (() => void)[] = []
afterEach(() => cleanups.splice(0).forEach((f) => f()))

function store(): TaskStore {
  const dir = mkdtempSync(join(tmpdir(), 'taskpulse-relay-'))
  const s = openTaskStore({ file: join(dir, 'db.sqlite'), outbox: true })
  cleanups.push(() => (s.close(), rmSync(dir, { recursive: true, force: true })))
  return s
}

function fakeBus(opts: { failFirst?: number } = {}) {
  const published: string[] = []
  let failures = opts.failFirst ?? 0
  let state: BusState = 'connected'
  const bus: Bus = {
    kind: 'redis',
    async start() {},
    async publish(payloads) {
      if (failures > 0) {
        failures--
        throw new Error('redis down')
      }
      published.push(...payloads)
    },
    state: () => state,
    async stop() {},
  }
  return { bus, published, setState: (s: BusState) => (state = s) }
}

const local = (task_id: string, event_id: string) => ({
  task_id,
  event_id,
  updated_at: '2026-01-01T00:00:00.000Z',
  received_at: '2026-01-01T00:00:00.000Z',
  source: 'rest' as const,
  fields: { status: 'failed' as const, output: 'log line', assignee: 'agent-1' },
})

describe('outbox relay', () => {
  it('publishes each local event with all its fields, then empties the outbox', async () => {
    const s = store()
    const { bus, published } = fakeBus()
    s.apply([local('a', 'e1'), local('b', 'e2')])
    const relay = createOutboxRelay({ store: s, bus, log })
    expect(await relay.flush(1000)).toBe(true)
    expect(published.map((p) => JSON.parse(p) as unknown)).toEqual([
      {
        task_id: 'a',
        status: 'failed',
        output: 'log line',
        assignee: 'agent-1',
        updated_at: '2026-01-01T00:00:00.000Z',
        event_id: 'e1',
      },
      {
        task_id: 'b',
        status: 'failed',
        output: 'log line',
        assignee: 'agent-1',
        updated_at: '2026-01-01T00:00:00.000Z',
        event_id: 'e2',
      },
    ])
    expect(s.outboxCount()).toBe(0)
    relay.stop()
  })

  it('keeps events while Redis refuses them and relays them once it accepts', async () => {
    const s = store()
    const { bus, published } = fakeBus({ failFirst: 2 })
    s.apply([local('a', 'e1')])
    const relay = createOutboxRelay({ store: s, bus, log, retryMs: 10 })
    relay.kick()
    await expect.poll(() => published.length, { timeout: 2000 }).toBe(1)
    expect(s.outboxCount()).toBe(0)
    relay.stop()
  })

  it('relays an update without status as such, and a peer accepts it (no drop, same fields)', async () => {
    const s = store()
    const { bus, published } = fakeBus()
    s.apply([{ ...local('a', 'e1'), fields: { title: 'only a title' } }])
    const relay = createOutboxRelay({ store: s, bus, log })
    expect(await relay.flush(1000)).toBe(true)
    expect(JSON.parse(published[0]!)).not.toHaveProperty('status')
    const peer = parseInbound({ source: 'redis', payload: published[0]! }, new Date())
    expect(peer).toMatchObject({
      ok: true,
      event: { event_id: 'e1', updated_at: '2026-01-01T00:00:00.000Z', fields: { title: 'only a title' } },
    })
    relay.stop()
  })
})
