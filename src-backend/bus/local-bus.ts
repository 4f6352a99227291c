// The embedded default when no Redis is configured: nothing to connect to, nothing to relay.
// Every accepted event is already stored and broadcast by this process.
import type { Bus, BusState } from './bus'

export function createLocalBus(): Bus {
  return {
    kind: 'local',
    async start() {},
    async publish() {},
    state: (): BusState => 'disabled',
    async stop() {},
  }
}
