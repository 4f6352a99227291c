// What a snapshot carries of a task's output and error: the tail (where a failure's cause usually
// is), at most SNAPSHOT_EXCERPT_BYTES of UTF-8, cut on a character boundary, with the full sizes.
// Snapshots go to every (re)connecting client; whole 64 KiB texts per task made them the largest
// thing the server sends. The full text stays one REST call away (GET /api/tasks/:id).
import { SNAPSHOT_EXCERPT_BYTES, type SnapshotTask } from '../../src-shared/protocol'
import type { TaskTailRow } from '../store/task-store'

/**
 * Characters to ask SQLite for: the byte tail we keep can never hold more characters than
 * bytes, so this many characters always cover it.
 */
export const EXCERPT_TAIL_CHARS = SNAPSHOT_EXCERPT_BYTES

/** The last at most `maxBytes` bytes of `text` (UTF-8), starting on a character boundary. */
export function utf8Tail(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text // even all 3-byte characters would fit
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length <= maxBytes) return text
  let start = bytes.length - maxBytes
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++ // skip continuation bytes
  return bytes.subarray(start).toString('utf8')
}

/** A stored task (output/error already cut to a character tail by the store) as a snapshot entry. */
export function snapshotTaskOf(row: TaskTailRow, maxBytes = SNAPSHOT_EXCERPT_BYTES): SnapshotTask {
  const output = row.output === null ? null : utf8Tail(row.output, maxBytes)
  const error = row.error === null ? null : utf8Tail(row.error, maxBytes)
  const excerpt =
    (output !== null && Buffer.byteLength(output) < row.output_bytes) ||
    (error !== null && Buffer.byteLength(error) < row.error_bytes)
  return { ...row, output, error, excerpt }
}
