// Schema migrations, applied in order inside one transaction each; `meta.schema_version` records
// the last one applied. Append new steps; never edit a released one.
import { existsSync } from 'node:fs'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { FTS_MIGRATION } from './fts-index'

export const MIGRATIONS: readonly string[] = [
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
  // 2: per-agent and per-project counts by status, kept by triggers in the same transaction as
  // every task write (whatever code path writes), so /api/agents and /api/projects read O(result)
  // instead of grouping every task. Secondary indexes gain task_id so "newest first, ties by id"
  // reads (listing, latest task per agent, latest failures per project) need no sort.
  `
  CREATE TABLE task_counts (
    dim    TEXT NOT NULL,    -- 'agent' (assignee) or 'project' (project_id)
    key    TEXT NOT NULL,
    status TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (dim, key, status)
  ) STRICT, WITHOUT ROWID;

  INSERT INTO task_counts (dim, key, status, n)
    SELECT 'agent', assignee, status, count(*) FROM tasks WHERE assignee IS NOT NULL GROUP BY assignee, status;
  INSERT INTO task_counts (dim, key, status, n)
    SELECT 'project', project_id, status, count(*) FROM tasks WHERE project_id IS NOT NULL GROUP BY project_id, status;

  CREATE TRIGGER task_counts_on_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_counts (dim, key, status, n) SELECT 'agent', new.assignee, new.status, 1
      WHERE new.assignee IS NOT NULL ON CONFLICT (dim, key, status) DO UPDATE SET n = n + 1;
    INSERT INTO task_counts (dim, key, status, n) SELECT 'project', new.project_id, new.status, 1
      WHERE new.project_id IS NOT NULL ON CONFLICT (dim, key, status) DO UPDATE SET n = n + 1;
  END;

  CREATE TRIGGER task_counts_on_delete AFTER DELETE ON tasks BEGIN
    UPDATE task_counts SET n = n - 1 WHERE dim = 'agent' AND key = old.assignee AND status = old.status;
    UPDATE task_counts SET n = n - 1 WHERE dim = 'project' AND key = old.project_id AND status = old.status;
    DELETE FROM task_counts WHERE n <= 0 AND ((dim = 'agent' AND key = old.assignee) OR (dim = 'project' AND key = old.project_id));
  END;

  CREATE TRIGGER task_counts_on_update AFTER UPDATE OF status, assignee, project_id ON tasks
  WHEN old.status IS NOT new.status OR old.assignee IS NOT new.assignee OR old.project_id IS NOT new.project_id
  BEGIN
    UPDATE task_counts SET n = n - 1 WHERE dim = 'agent' AND key = old.assignee AND status = old.status;
    UPDATE task_counts SET n = n - 1 WHERE dim = 'project' AND key = old.project_id AND status = old.status;
    DELETE FROM task_counts WHERE n <= 0 AND ((dim = 'agent' AND key = old.assignee) OR (dim = 'project' AND key = old.project_id));
    INSERT INTO task_counts (dim, key, status, n) SELECT 'agent', new.assignee, new.status, 1
      WHERE new.assignee IS NOT NULL ON CONFLICT (dim, key, status) DO UPDATE SET n = n + 1;
    INSERT INTO task_counts (dim, key, status, n) SELECT 'project', new.project_id, new.status, 1
      WHERE new.project_id IS NOT NULL ON CONFLICT (dim, key, status) DO UPDATE SET n = n + 1;
  END;

  DROP INDEX tasks_by_assignee;
  DROP INDEX tasks_by_project;
  DROP INDEX tasks_by_status;
  CREATE INDEX tasks_by_assignee ON tasks (assignee, updated_at DESC, task_id DESC);
  CREATE INDEX tasks_by_project ON tasks (project_id, updated_at DESC, task_id DESC);
  CREATE INDEX tasks_by_status ON tasks (status, updated_at DESC, task_id DESC);
  CREATE INDEX tasks_failed_by_project ON tasks (project_id, updated_at DESC, task_id DESC) WHERE status = 'failed';
  -- the calendar: tasks that end in or after the window are found by range on the first column;
  -- the start and task_id make it covering, so only the page's rows are read from the table
  CREATE INDEX tasks_by_calendar ON tasks (
    coalesce(due_at, scheduled_at, finished_at, updated_at),
    coalesce(scheduled_at, due_at, started_at, created_at),
    task_id);
  `,
  // 3: WS protocol 2 nests the task in task_status_update. Stored broadcast frames are replayed as
  // they are stored, so the old flat ones are rewritten: metadata out, the rest under "task".
  `
  UPDATE task_events SET message = json_object(
      'type', 'task_status_update',
      'seq', json_extract(message, '$.seq'),
      'event_id', json_extract(message, '$.event_id'),
      'previous_status', json_extract(message, '$.previous_status'),
      'task', json_remove(message, '$.type', '$.seq', '$.event_id', '$.previous_status'))
    WHERE message IS NOT NULL AND json_type(message, '$.task') IS NULL;
  `,
  // 4: attention. A task's own staleness threshold, when the backend found it stale, and when
  // someone acknowledged it. Old broadcast frames lack the fields; clients read them as null.
  `
  ALTER TABLE tasks ADD COLUMN stale_after_seconds INTEGER;
  ALTER TABLE tasks ADD COLUMN stale_since TEXT;
  ALTER TABLE tasks ADD COLUMN acknowledged_at TEXT;
  `,
  // 5: full-text search (docs/benchmarks.md "Search" has the tokenizer measurements). An external
  // content index: FTS5 keeps only the index and reads the text from tasks by rowid, so outputs are
  // not stored twice. Triggers keep it in step inside the transaction of every task write, whatever
  // code path writes; an update that leaves the indexed texts alone (a status change, an ack) does
  // not touch it. unicode61 splits "java.lang.OutOfMemoryError" into java / lang /
  // outofmemoryerror, so the prefix query outofmemory* finds it.
  `
  CREATE VIRTUAL TABLE tasks_fts USING fts5(
    task_id, title, description, output, error, assignee, project_id,
    content = 'tasks', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2');
  INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild');

  CREATE TRIGGER tasks_fts_on_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO tasks_fts (rowid, task_id, title, description, output, error, assignee, project_id)
      VALUES (new.rowid, new.task_id, new.title, new.description, new.output, new.error, new.assignee, new.project_id);
  END;

  CREATE TRIGGER tasks_fts_on_delete AFTER DELETE ON tasks BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, task_id, title, description, output, error, assignee, project_id)
      VALUES ('delete', old.rowid, old.task_id, old.title, old.description, old.output, old.error, old.assignee, old.project_id);
  END;

  CREATE TRIGGER tasks_fts_on_update AFTER UPDATE OF task_id, title, description, output, error, assignee, project_id ON tasks
  WHEN old.task_id IS NOT new.task_id OR old.title IS NOT new.title OR old.description IS NOT new.description OR old.output IS NOT new.output OR old.error IS NOT new.error OR old.assignee IS NOT new.assignee OR old.project_id IS NOT new.project_id
  BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, task_id, title, description, output, error, assignee, project_id)
      VALUES ('delete', old.rowid, old.task_id, old.title, old.description, old.output, old.error, old.assignee, old.project_id);
    INSERT INTO tasks_fts (rowid, task_id, title, description, output, error, assignee, project_id)
      VALUES (new.rowid, new.task_id, new.title, new.description, new.output, new.error, new.assignee, new.project_id);
  END;
  `,
  // 6: agents and schedules. A sub-agent's parent task, and the schedule a run belongs to; both
  // indexed because the UI's tree and the missed-run checker look tasks up by them.
  `
  ALTER TABLE tasks ADD COLUMN parent_id TEXT;
  ALTER TABLE tasks ADD COLUMN schedule_id TEXT;
  CREATE INDEX tasks_by_parent ON tasks (parent_id) WHERE parent_id IS NOT NULL;
  CREATE INDEX tasks_by_schedule ON tasks (schedule_id, updated_at DESC) WHERE schedule_id IS NOT NULL;
  `,
  // 7: schedules. Schedules and their settings (the feed key's hash) replicate last-writer-wins by
  // (updated_at, rev); a delete stays as a tombstone so it wins over an older write arriving late.
  // checked_until is local: how far this backend has looked for missed runs. The indexes serve the
  // missed-run check (runs of a schedule by start time) and the cctray feed (last finished task of
  // an agent or project) without reading more than the rows they return.
  `
  CREATE TABLE schedules (
    schedule_id   TEXT PRIMARY KEY,
    spec          TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    rev           TEXT NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0,
    checked_until TEXT
  ) STRICT;
  CREATE TABLE schedule_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    rev        TEXT NOT NULL
  ) STRICT;
  CREATE INDEX tasks_by_schedule_start ON tasks (schedule_id, coalesce(started_at, created_at))
    WHERE schedule_id IS NOT NULL;
  CREATE INDEX tasks_finished_by_assignee ON tasks (assignee, finished_at DESC)
    WHERE status IN ('completed', 'failed');
  CREATE INDEX tasks_finished_by_project ON tasks (project_id, finished_at DESC)
    WHERE status IN ('completed', 'failed');
  `,
  // 8: the full-text index, rebuilt: contentless (contentless_delete) and synced once per write
  // transaction from a list of changed tasks instead of by FTS5 triggers per row, and long texts
  // indexed by their head and tail. fts-index.ts says why (per-row FTS5 segments cost 40 × the
  // write path at 10,000 tasks). Built from every task's text here, as migration 5 was.
  FTS_MIGRATION,
]

/** What opening a data dir's database will migrate: an existing database at an older schema. */
export interface PendingUpgrade {
  from: number
  to: number
  /** Tasks in the database: the one-off rebuilds (migration 8's index) take time in proportion. */
  tasks: number
}

/**
 * Whether opening `file` will upgrade its schema, asked before the store opens it: the migration
 * runs synchronously, so whoever waits for the server (the desktop app's supervisor, a person
 * reading the log) must be told first. Null for a new or current database, or one that cannot be
 * read here (opening it reports that).
 */
export function pendingUpgrade(file: string): PendingUpgrade | null {
  if (!existsSync(file)) return null
  let db: Database | undefined
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true })
    const from = storedSchemaVersion(db)
    if (!(from > 0 && from < MIGRATIONS.length)) return null
    const { n } = db.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }
    return { from, to: MIGRATIONS.length, tasks: n }
  } catch {
    return null
  } finally {
    db?.close()
  }
}

/** The schema version a database records (0: none yet). Throws when it has no meta table. */
function storedSchemaVersion(db: Database): number {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    { value: string } | undefined
  return row ? Number(row.value) : 0
}

export function migrate(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT')
  let version = storedSchemaVersion(db)
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
  // Planner statistics: without them SQLite may pick the status index for "assignee = ? AND
  // status = ?" and read a quarter of all tasks. Cheap (bounded sampling), re-run only when stale.
  db.pragma('analysis_limit = 1000')
  db.pragma('optimize = 0x10002')
  return version
}
