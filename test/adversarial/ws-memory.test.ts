// Memory bounds of the WebSocket hub, measured on the real built server's own RSS (by pid):
// - a client that floods pings (control frames, or {"type":"ping"} text frames) and never reads
//   is cut off, and the server does not grow;
// - 30 clients that ask for a snapshot or a full replay of 200 tasks × 60 KiB and never read hold
//   no more than their bounds (snapshots and replays are written a page at a time as the socket
//   drains, and snapshots carry excerpts);
// while another client keeps being served (subscribe, live updates) and /api/health answers.
// Verdicts use bounds only a real failure breaks (300 MB, health within 2 s); the measured figures
// are recorded for docs/security.md.
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import {
  connectClient,
  removeDir,
  startBackend,
  tempDir,
  waitFor,
  type Backend,
  type TestClient,
} from '../helpers/backend-process'
import { percentile, probeHealthDuring, recordFigure, rssBytes, sampleRss } from './probes'
import { clientFrame, flood, rawWs, textFrame, type RawWs } from './raw-ws'

const MB = 1024 * 1024
const SUITE = 'ws-memory'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f()
})

async function backend(): Promise<Backend> {
  const dir = tempDir('taskpulse-wsmem-')
  const b = await startBackend({ dataDir: dir })
  cleanups.push(() => removeDir(dir))
  cleanups.push(() => b.stop())
  return b
}

async function client(b: Backend, subscribe = true): Promise<TestClient> {
  const c = await connectClient(b.ws, b.token, { subscribe })
  cleanups.push(() => c.ws.terminate())
  return c
}

async function raw(b: Backend): Promise<RawWs> {
  const c = await rawWs(b)
  cleanups.push(() => c.socket.destroy())
  return c
}

const put = async (b: Backend, id: string, body: Record<string, unknown>) => {
  const res = await b.api(`/api/tasks/${id}`, { method: 'PUT', body: JSON.stringify(body) })
  expect(res.status).toBeLessThan(300)
  await res.arrayBuffer()
}

/** The well-behaved client is still served: a new subscribe works and both get a live update. */
async function stillServed(b: Backend, watcher: TestClient, id: string): Promise<void> {
  const fresh = await client(b)
  await put(b, id, { status: 'running' })
  await waitFor(() => watcher.updates().some((u) => u.task_id === id), `watcher gets ${id}`, 20_000)
  await waitFor(() => fresh.updates().some((u) => u.task_id === id), `fresh client gets ${id}`, 20_000)
}

const floods: [string, () => Buffer][] = [
  // 256 pings per write: as fast as the socket takes them.
  [
    'control ping frames',
    () => Buffer.concat(Array.from({ length: 256 }, () => clientFrame(0x9, randomBytes(125)))),
  ],
  [
    'app-level {"type":"ping"} frames',
    () =>
      Buffer.concat(Array.from({ length: 256 }, (_, i) => textFrame(JSON.stringify({ type: 'ping', t: i })))),
  ],
]

describe('ws memory bounds (real server, RSS by pid)', () => {
  it.each(floods)(
    'a non-reading client flooding %s is cut off; the server stays small and serves others',
    async (kind, chunk) => {
      const b = await backend()
      const pid = b.proc.pid!
      const watcher = await client(b)
      const flooder = await raw(b)
      const before = rssBytes(pid)
      const rss = sampleRss(pid)
      const attack = flood(flooder, chunk(), 60_000)
      const latencies = await probeHealthDuring(b.url, attack, 100)
      const { bytes, cut } = await attack
      const { peak } = rss.stop()
      const growth = peak - before
      recordFigure(SUITE, {
        flood: `ping flood: ${kind}`,
        rss_before_mb: +(before / MB).toFixed(1),
        rss_peak_mb: +(peak / MB).toFixed(1),
        rss_growth_mb: +(growth / MB).toFixed(1),
        flood_bytes_written: bytes,
        health_probes: latencies.length,
        health_p50_ms: +percentile(latencies, 50).toFixed(1),
        health_max_ms: +Math.max(...latencies).toFixed(1),
      })
      expect(cut, 'the flooding client was not cut off within 60 s').toBe(true)
      expect(growth).toBeLessThan(300 * MB)
      expect(Math.max(...latencies), 'every health probe answered (not a speed check)').toBeLessThan(10_000)
      await stillServed(b, watcher, `after-${kind.length}`)
      expect(b.proc.exitCode).toBeNull()
    },
  )

  it('30 non-reading clients asking for snapshots and full replays of 200 × 60 KiB tasks hold bounded memory', async () => {
    const b = await backend()
    const pid = b.proc.pid!
    for (let i = 0; i < 200; i++)
      await put(b, `big-${i}`, { status: 'completed', output: `${i}:`.padEnd(60 * 1024, 'x') })
    const watcher = await client(b)
    const before = rssBytes(pid)
    const rss = sampleRss(pid)

    const attack = (async () => {
      const stalled: RawWs[] = []
      for (let i = 0; i < 30; i++) {
        const c = await raw(b)
        // Half with a foreign epoch (a snapshot), half a replay of every change from seq 0.
        const resume = i % 2 === 0 ? { epoch: 'another-database', seq: 0 } : { epoch: c.hello.epoch, seq: 0 }
        c.socket.write(textFrame(JSON.stringify({ type: 'resume', ...resume })))
        stalled.push(c)
      }
      // A client connected after every resume was sent gets a live update: the server has taken
      // in the 30 requests and is still serving.
      await stillServed(b, watcher, 'during-30')
      // Live changes while the 30 sit there: those that went live after their snapshot queue
      // these (up to their bound); the replaying ones are still paging.
      for (let i = 0; i < 40; i++)
        await put(b, `big-${i}`, { status: 'failed', output: `again ${i}:`.padEnd(60 * 1024, 'y') })
      await waitFor(
        () => watcher.updates().filter((u) => u.status === 'failed').length >= 40,
        'the watcher got every live update',
        30_000,
      )
      const h = (await (await fetch(`${b.url}/api/health`)).json()) as { clients: number }
      return { stalled, clients: h.clients }
    })()
    const latencies = await probeHealthDuring(b.url, attack, 100)
    const { stalled, clients } = await attack
    const { peak } = rss.stop()
    const growth = peak - before
    recordFigure(SUITE, {
      flood:
        '30 non-reading clients: 15 snapshots + 15 replays from 0, 200 tasks × 60 KiB, then 40 live 60 KiB updates',
      rss_before_mb: +(before / MB).toFixed(1),
      rss_peak_mb: +(peak / MB).toFixed(1),
      rss_growth_mb: +(growth / MB).toFixed(1),
      clients_connected_after: clients,
      health_probes: latencies.length,
      health_p50_ms: +percentile(latencies, 50).toFixed(1),
      health_max_ms: +Math.max(...latencies).toFixed(1),
    })
    expect(stalled).toHaveLength(30)
    expect(growth).toBeLessThan(300 * MB)
    expect(Math.max(...latencies), 'every health probe answered (not a speed check)').toBeLessThan(10_000)
    expect(b.proc.exitCode).toBeNull()
  })
})
