// "Acknowledge all" from the tray: POST /api/tasks/ack to the backend main is connected to (the
// embedded one or a remote one), in chunks the route accepts. The tray does not change here: the
// acks come back as update frames on main's socket like on every window's.
import { MAX_ACK_IDS, type AckManyResult } from '../../src-shared/protocol'
import type { Connection } from '../../src-shared/ipc'

export interface AckClient {
  /** Resolves with how many tasks the backend acknowledged; rejects when it could not be asked. */
  acknowledge(taskIds: readonly string[]): Promise<number>
}

export function createAckClient(deps: {
  connection: () => Connection | null
  fetch?: typeof fetch
  /** Per request; a backend that does not answer must not leave the promise hanging. */
  timeoutMs?: number
}): AckClient {
  const doFetch = deps.fetch ?? fetch
  const timeoutMs = deps.timeoutMs ?? 10_000
  return {
    async acknowledge(taskIds) {
      const connection = deps.connection()
      if (!connection) throw new Error('no backend to acknowledge with')
      let acknowledged = 0
      for (let i = 0; i < taskIds.length; i += MAX_ACK_IDS) {
        const res = await doFetch(new URL('/api/tasks/ack', connection.url), {
          method: 'POST',
          headers: { authorization: `Bearer ${connection.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ task_ids: taskIds.slice(i, i + MAX_ACK_IDS) }),
          signal: AbortSignal.timeout(timeoutMs),
        })
        if (!res.ok) throw new Error(`acknowledge: HTTP ${res.status} ${await res.text().catch(() => '')}`)
        acknowledged += ((await res.json()) as AckManyResult).acknowledged.length
      }
      return acknowledged
    },
  }
}
