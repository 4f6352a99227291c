// Status constants for the renderer. protocol.ts is imported for types only: its zod schemas
// would otherwise pull zod into the bundle for nothing.
import type { StatusCounts, TaskStatus } from '../../../src-shared/protocol'

export const STATUSES: readonly TaskStatus[] = ['pending', 'running', 'completed', 'failed']

export const emptyCounts = (): StatusCounts => ({ pending: 0, running: 0, completed: 0, failed: 0 })

export function isStatus(v: unknown): v is TaskStatus {
  return v === 'pending' || v === 'running' || v === 'completed' || v === 'failed'
}
