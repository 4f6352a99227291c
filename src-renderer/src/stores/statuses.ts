// Status constants for the renderer, from the task model (plain TypeScript: no zod in the bundle).
import { TASK_STATUSES, emptyCounts, isTaskStatus, type TaskStatus } from '../../../src-shared/task-model'

export const STATUSES: readonly TaskStatus[] = TASK_STATUSES

export { emptyCounts }

export const isStatus = isTaskStatus
