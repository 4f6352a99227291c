// Reconnect and retry delays for the bus and the outbox relay: the one shared helper.
export { backoffDelay } from '../../src-shared/backoff'
