// Replays and snapshots, a page at a time. A page is written only when the client's socket has
// drained below the low-water mark (ClientSender.roomForPage), so a client that stops reading holds
// at most its bound whatever it asked for.
// Resume is race-free without locks: a catching-up client reads the store until it is empty and
// turns live (goLive) in the same synchronous step, and the store holds every change before it is
// broadcast.
import type { TaskStore } from '../store/task-store'
import type { ClientSender, HubClient } from './client-sender'
import { EXCERPT_TAIL_CHARS, snapshotTaskOf } from './excerpt'
import { frameOfParts, framesOf } from './frames'

export interface PagingDeps {
  store: Pick<TaskStore, 'currentSeq' | 'messagesAfter' | 'snapshotPage' | 'canReplayFrom'>
  sender: Pick<ClientSender, 'write' | 'roomForPage'>
  /** Turns the client live (in the same synchronous step as the read that found nothing more). */
  goLive(c: HubClient, reply: 'resumed' | null): void
  /** Rows read from the store per replay or snapshot page. */
  replayPageSize: number
  snapshotPageSize: number
  /** A replay page is cut once it reaches this many bytes. */
  pageBytes: number
  /** A snapshot page is cut once it reaches this many bytes. */
  snapshotPageBytes: number
}

/** Outcome of a replay: caught up and live, the client went away, or the history it needs is gone. */
type ReplayEnd = 'live' | 'gone' | 'pruned'

export function createPaging(deps: PagingDeps) {
  const { store, sender, replayPageSize, snapshotPageSize, pageBytes, snapshotPageBytes } = deps

  /**
   * Sends every change after c.lastSentSeq a page at a time, then turns the client live. `reply`
   * is sent on going live.
   */
  async function replay(c: HubClient, reply: 'resumed' | null): Promise<ReplayEnd> {
    c.state = 'paging'
    // Rows to read next: sized from the last page's messages so that a history of large outputs
    // is not loaded 500 at a time only to send a few.
    let limit = Math.min(32, replayPageSize)
    for (;;) {
      if (!(await sender.roomForPage(c))) return 'gone'
      // History may be pruned while a slow client pages through it: a gap must not go unnoticed.
      if (!store.canReplayFrom(c.lastSentSeq)) return 'pruned'
      let rows = store.messagesAfter(c.lastSentSeq, limit)
      if (rows.length === 0) {
        deps.goLive(c, reply)
        return 'live'
      }
      let bytes = 0
      const fit = rows.findIndex((r) => (bytes += r.message.length) > pageBytes)
      if (fit >= 0) rows = rows.slice(0, Math.max(fit, 1))
      sender.write(c, framesOf(rows.map((r) => r.message)))
      c.lastSentSeq = rows.at(-1)!.seq
      const average = Math.max(1, bytes / (fit >= 0 ? fit + 1 : rows.length))
      limit = Math.max(1, Math.min(replayPageSize, Math.ceil(pageBytes / average)))
    }
  }

  /**
   * A snapshot at seq N in pages of task excerpts, newest first; the last page says more:false.
   * Changes committed while paging are then replayed from N like a resume: a task that moved in
   * the order while we paged is covered by that replay, so nothing is missed.
   */
  async function snapshot(c: HubClient): Promise<void> {
    for (;;) {
      c.state = 'paging'
      const seq = store.currentSeq()
      c.lastSentSeq = seq
      let after: { updated_at: string; task_id: string } | null = null
      for (let more = true; more;) {
        if (!(await sender.roomForPage(c))) return
        const rows = store.snapshotPage(after, snapshotPageSize + 1, EXCERPT_TAIL_CHARS)
        const parts: Buffer[] = []
        let bytes = 0
        let n = 0
        for (const row of rows.slice(0, snapshotPageSize)) {
          const json = Buffer.from((n ? ',' : '') + JSON.stringify(snapshotTaskOf(row)))
          if (n > 0 && bytes + json.length > snapshotPageBytes) break
          parts.push(json)
          bytes += json.length
          n++
        }
        more = n < rows.length
        if (n > 0) after = rows[n - 1]!
        sender.write(
          c,
          frameOfParts([
            Buffer.from(`{"type":"snapshot","seq":${seq},"tasks":[`),
            ...parts,
            Buffer.from(`],"more":${more}}`),
          ]),
        )
      }
      // History after N pruned while we paged: start over with a fresh snapshot (its first page
      // replaces the client's state again).
      if ((await replay(c, null)) !== 'pruned') return
    }
  }

  return {
    snapshot,
    /** Replays after `seq`; a history pruned under the client turns into a snapshot. */
    async resume(c: HubClient, seq: number): Promise<void> {
      c.lastSentSeq = seq
      if ((await replay(c, 'resumed')) === 'pruned') await snapshot(c)
    },
  }
}
