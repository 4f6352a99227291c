// Schema migrations, applied in order inside one transaction each; `meta.schema_version` records
// the last one applied. Append new steps; never edit a released one.
import type { Database } from 'better-sqlite3'

const MIGRATIONS: readonly string[] = [
  // 1: tasks, their event history (local seq), the outbox and meta.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

  CREATE TABLE tasks (
    task_id       TEXT PRIMARY KEY,
    status        TEXT NOT NULL,
    title         TEXT,
    description   TEXT,
    assignee      TEXT,
    project_id    TEXT,
    output        TEXT,
    error         TEXT,
    scheduled_at  TEXT,
    due_at        TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    last_event_id TEXT NOT NULL,
    -- per field: [updated_at, event_id] of the event whose value it holds (last-writer-wins)
    versions      TEXT NOT NULL
  ) STRICT;
  CREATE INDEX tasks_by_updated ON tasks (updated_at DESC, task_id DESC);
  CREATE INDEX tasks_by_assignee ON tasks (assignee, updated_at DESC);
  CREATE INDEX tasks_by_project ON tasks (project_id, updated_at DESC);
  CREATE INDEX tasks_by_status ON tasks (status, updated_at DESC);

  CREATE TABLE task_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL UNIQUE,
    task_id     TEXT NOT NULL,
    status      TEXT,
    fields      TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    received_at TEXT NOT NULL,
    source      TEXT NOT NULL,
    -- the broadcast frame when this event changed the task, so a resume replays it verbatim
    message     TEXT
  ) STRICT;
  CREATE INDEX task_events_by_task ON task_events (task_id, seq);
  CREATE INDEX task_events_running ON task_events (task_id, status, updated_at);

  CREATE TABLE outbox (
    seq  INTEGER PRIMARY KEY,
    wire TEXT NOT NULL
  ) STRICT;
  `,
]

export function migrate(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT')
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    { value: string } | undefined
  let version = row ? Number(row.value) : 0
  if (version > MIGRATIONS.length) {
    throw Object.assign(
      new Error(
        `database schema ${version} is newer than this TaskPulse (${MIGRATIONS.length}); upgrade TaskPulse`,
      ),
      { code: 'schema_too_new' },
    )
  }
  while (version < MIGRATIONS.length) {
    const step = MIGRATIONS[version]!
    db.transaction(() => {
      // Migration 1 creates meta itself; the bootstrap table above is identical.
      db.exec(version === 0 ? step.replace('CREATE TABLE meta', 'CREATE TABLE IF NOT EXISTS meta') : step)
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(
        String(version + 1),
      )
    })()
    version++
  }
  return version
}
