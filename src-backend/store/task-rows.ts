// What the store's parts share about a tasks row: its columns, how a row becomes a Task, and the
// opaque page cursors the REST API hands out. No statements here: each part prepares its own.
import { TASK_KEYS, pickTask, type Task } from '../../src-shared/protocol'

/** A row of `tasks`: the task's fields plus `versions` (per field, the event whose value it holds). */
export interface TaskRow extends Task {
  versions: string
}

/** The task's columns in TASK_KEYS order, for SELECT and INSERT lists. */
export const TASK_COLUMNS = TASK_KEYS.join(', ')

// A row's task fields (the row also holds `versions` and, in snapshots, the sizes).
export const rowToTask = pickTask

export class InvalidCursorError extends Error {
  readonly code = 'invalid_cursor'
}

export function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url')
}

export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(parts) && parts.length === arity) return parts as (string | number)[]
  } catch {
    // fall through
  }
  throw new InvalidCursorError('cursor is not one this server issued')
}
