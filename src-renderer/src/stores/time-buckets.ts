// Status counts per agent kept in 15-minute buckets of each task's last update, so "today" and
// "last 24 h" counts cost a fixed ~100 lookups however many tasks an agent has, and an update
// costs O(1): decrement the task's old bucket, increment its new one. 15 minutes so that local
// midnight falls on a bucket edge in every time zone (offsets are multiples of 15 minutes).
import type { StatusCounts, TaskStatus } from '../../../src-shared/protocol'
import { STATUSES, emptyCounts } from './statuses'

export const BUCKET_MS = 15 * 60 * 1000

export type BucketCounts = Map<number, StatusCounts>

export function bucketOf(iso: string): number {
  return Math.floor(Date.parse(iso) / BUCKET_MS)
}

export function addToBucket(buckets: BucketCounts, iso: string, status: TaskStatus, delta: 1 | -1): void {
  const key = bucketOf(iso)
  let counts = buckets.get(key)
  if (!counts) {
    if (delta < 0) return
    counts = emptyCounts()
    buckets.set(key, counts)
  }
  counts[status] += delta
  // Every status, waiting included (a bucket holding only waiting tasks is not empty).
  if (STATUSES.every((st) => counts[st] === 0)) buckets.delete(key)
}

/** Sum of the buckets whose start lies in [fromMs, toMs]. */
export function countsBetween(buckets: BucketCounts, fromMs: number, toMs: number): StatusCounts {
  const out = emptyCounts()
  const first = Math.floor(fromMs / BUCKET_MS)
  const last = Math.floor(toMs / BUCKET_MS)
  // Few agents have more buckets than the window has slots; iterate whichever is smaller.
  if (buckets.size < last - first + 1) {
    for (const [key, c] of buckets) if (key >= first && key <= last) addCounts(out, c)
  } else {
    for (let key = first; key <= last; key++) {
      const c = buckets.get(key)
      if (c) addCounts(out, c)
    }
  }
  return out
}

function addCounts(into: StatusCounts, c: StatusCounts): void {
  for (const st of STATUSES) into[st] += c[st]
}

export function startOfLocalDay(nowMs: number): number {
  const d = new Date(nowMs)
  d.setHours(0, 0, 0, 0)
  return d.getTime()
}
