// Fills a TaskPulse database with a large, realistic history fast: direct inserts into the schema
// the real server created (its migrations ran first), in a few big transactions. The aggregate
// triggers of migration 2 fire on these inserts as on any task write, so the counts are real.
//
//   fillScaleData(file, { tasks: 100_000, events: 1_000_000 })
import Database from 'better-sqlite3'
import { rng } from './rng.mjs'

const STATUSES = ['pending', 'running', 'completed', 'failed']

/**
 * @param {string} file the server's taskpulse.sqlite (server stopped)
 * @param {{ tasks: number, events: number, agents?: number, projects?: number, days?: number }} size
 */
export function fillScaleData(file, size) {
  const agents = size.agents ?? 200
  const projects = size.projects ?? 50
  const days = size.days ?? 60
  const rand = rng(42)
  const now = Date.now()
  const span = days * 86_400_000
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')

  const insertTask = db.prepare(`
    INSERT INTO tasks (task_id, status, title, description, assignee, project_id, output, error, scheduled_at,
      due_at, created_at, updated_at, started_at, finished_at, last_event_id, versions)
    VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const insertEvent = db.prepare(`
    INSERT INTO task_events (seq, event_id, task_id, status, fields, updated_at, received_at, source, message)
    VALUES (?, ?, ?, ?, ?, ?, ?, 'rest', NULL)`)

  const iso = (ms) => new Date(ms).toISOString()
  const eventsPerTask = Math.max(1, Math.floor(size.events / size.tasks))
  let seq = 0
  const chunk = 10_000
  for (let base = 0; base < size.tasks; base += chunk) {
    db.transaction(() => {
      for (let i = base; i < Math.min(size.tasks, base + chunk); i++) {
        const taskId = `scale-${String(i).padStart(7, '0')}`
        const created = now - span + Math.floor(rand() * span)
        const updated = created + Math.floor(rand() * 3_600_000)
        const status = STATUSES[Math.floor(rand() * STATUSES.length)]
        const scheduled = rand() < 0.2 ? iso(created + 86_400_000) : null
        const due = rand() < 0.2 ? iso(created + 2 * 86_400_000) : null
        const started = status === 'pending' ? null : iso(created + 1000)
        const finished = status === 'completed' || status === 'failed' ? iso(updated) : null
        const lastEventId = `${taskId}-e${eventsPerTask - 1}`
        const version = JSON.stringify([iso(updated), lastEventId])
        insertTask.run(
          taskId,
          status,
          `Task ${i}`,
          `agent-${Math.floor(rand() * agents)}`,
          `project-${Math.floor(rand() * projects)}`,
          `step ${i} done\n`.repeat(12),
          status === 'failed' ? 'exit code 1' : null,
          scheduled,
          due,
          iso(created),
          iso(updated),
          started,
          finished,
          lastEventId,
          `{"status":${version},"title":${version},"assignee":${version},"project_id":${version},"output":${version}}`,
        )
        for (let e = 0; e < eventsPerTask; e++) {
          const at = iso(created + Math.floor(((updated - created) * e) / eventsPerTask))
          const st = e === eventsPerTask - 1 ? status : 'running'
          insertEvent.run(++seq, `${taskId}-e${e}`, taskId, st, `{"status":"${st}"}`, at, at)
        }
      }
    })()
  }
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  return { tasks: size.tasks, events: seq }
}
