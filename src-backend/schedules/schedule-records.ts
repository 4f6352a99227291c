// The replicated records a write makes: a schedule, its tombstone, the feed key. One place builds
// them, for the backend's REST routes (schedule-service.ts) and for the CLI writing straight into
// Redis (cli-schedule.ts): both must make the same record, or backends would disagree on what a
// write from the CLI means.
import { createHash, randomBytes } from 'node:crypto'
import {
  isNewer,
  scheduleInputSchema,
  type ReplicatedRecord,
  type Schedule,
  type ScheduleInput,
} from './schedule-model'

export const FEED_KEY_SETTING = 'feed_key'

type Version = { updated_at: string; rev: string }
type ScheduleRecord = Extract<ReplicatedRecord, { kind: 'schedule' }>
type SettingRecord = Extract<ReplicatedRecord, { kind: 'setting' }>

const newRev = () => randomBytes(9).toString('base64url')

/** A version later than both the clock and `current`: a write always wins over the state it saw. */
export function nextVersion(current: Version | null, now: number): Version {
  let at = now
  // An unreadable stored time (from before records were checked as real times) is no bound.
  const currentAt = current ? Date.parse(current.updated_at) : NaN
  if (Number.isFinite(currentAt)) at = Math.max(at, currentAt + 1)
  const version = { updated_at: new Date(at).toISOString(), rev: newRev() }
  return current && !isNewer(version, current) ? nextVersion(version, now) : version
}

/** The record that creates or replaces schedule `id`; throws the zod error for bad input. */
export function scheduleRecord(
  id: string,
  input: ScheduleInput,
  current: ReplicatedRecord | null,
  now: number,
): ScheduleRecord {
  const spec = scheduleInputSchema.parse(input)
  const version = nextVersion(current, now)
  const createdAt =
    current?.kind === 'schedule' && !current.deleted && current.spec ? current.spec.created_at : null
  return {
    kind: 'schedule',
    id,
    ...version,
    deleted: false,
    spec: {
      cron: spec.cron.trim(),
      timezone: spec.timezone,
      grace_seconds: spec.grace_seconds,
      title: spec.title ?? null,
      assignee: spec.assignee ?? null,
      project_id: spec.project_id ?? null,
      max_runtime_seconds: spec.max_runtime_seconds ?? null,
      created_at: createdAt ?? version.updated_at,
    },
  }
}

/** The tombstone that deletes schedule `id` everywhere. */
export function scheduleTombstone(id: string, current: ReplicatedRecord | null, now: number): ScheduleRecord {
  return { kind: 'schedule', id, ...nextVersion(current, now), deleted: true, spec: null }
}

/** A schedule as the API shows it, from a live record (null for a tombstone or a setting). */
export function scheduleOfRecord(record: ReplicatedRecord): Schedule | null {
  if (record.kind !== 'schedule' || record.deleted || !record.spec) return null
  return { schedule_id: record.id, ...record.spec, updated_at: record.updated_at }
}

export const feedKeyHash = (key: string): Buffer => createHash('sha256').update(key).digest()

/** A new feed key and the record that makes it the only one (only its hash is kept anywhere). */
export function newFeedKey(
  current: ReplicatedRecord | null,
  now: number,
): { key: string; record: SettingRecord } {
  const key = `tpf_${randomBytes(24).toString('base64url')}`
  return {
    key,
    record: {
      kind: 'setting',
      id: FEED_KEY_SETTING,
      ...nextVersion(current, now),
      deleted: false,
      value: feedKeyHash(key).toString('hex'),
    },
  }
}

/** Where the two feeds are, for a key (relative to a backend's address). */
export function feedPaths(key: string): { ics_path: string; cctray_path: string } {
  const q = `?key=${encodeURIComponent(key)}`
  return { ics_path: `/feeds/tasks.ics${q}`, cctray_path: `/feeds/cctray.xml${q}` }
}
