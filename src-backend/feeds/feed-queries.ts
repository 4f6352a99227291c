// The task reads behind the feeds, each on an index so a database of 100,000 tasks costs the rows
// returned, not a scan: recent tasks by updated_at (tasks_by_updated, or the assignee / project /
// status index when filtered), and an agent's or project's last finished task (the partial
// indexes of the schedules migration).
import type { Database, Statement } from 'better-sqlite3'
import type { TaskStatus } from '../../src-shared/task-model'
import type { TaskBrief } from '../schedules/schedule-store'

const BRIEF_COLUMNS =
  'task_id, status, title, assignee, project_id, substr(error, 1, 500) AS error, schedule_id, scheduled_at, created_at, updated_at, started_at, finished_at'

export interface RecentFilter {
  since: string
  project?: string | undefined
  agent?: string | undefined
  status?: TaskStatus | undefined
}

export type FeedQueries = ReturnType<typeof createFeedQueries>

export function createFeedQueries(db: Database) {
  const recentStatements = new Map<string, Statement<(string | number)[], TaskBrief>>()
  const lastFinishedByAgent = db.prepare<[string], TaskBrief>(
    `SELECT ${BRIEF_COLUMNS} FROM tasks WHERE assignee = ? AND status IN ('completed', 'failed')
     ORDER BY finished_at DESC LIMIT 1`,
  )
  const lastFinishedByProject = db.prepare<[string], TaskBrief>(
    `SELECT ${BRIEF_COLUMNS} FROM tasks WHERE project_id = ? AND status IN ('completed', 'failed')
     ORDER BY finished_at DESC LIMIT 1`,
  )

  return {
    /** Tasks updated since `since`, newest first, at most `cap`. */
    recent(filter: RecentFilter, cap: number): TaskBrief[] {
      const where = ['updated_at >= ?']
      const args: (string | number)[] = [filter.since]
      if (filter.agent !== undefined) {
        where.push('assignee = ?')
        args.push(filter.agent)
      }
      if (filter.project !== undefined) {
        where.push('project_id = ?')
        args.push(filter.project)
      }
      if (filter.status !== undefined) {
        where.push('status = ?')
        args.push(filter.status)
      }
      const sql = `SELECT ${BRIEF_COLUMNS} FROM tasks WHERE ${where.join(' AND ')}
                   ORDER BY updated_at DESC, task_id DESC LIMIT ?`
      let stmt = recentStatements.get(sql)
      if (!stmt) {
        stmt = db.prepare<(string | number)[], TaskBrief>(sql)
        recentStatements.set(sql, stmt)
      }
      return stmt.all(...args, cap)
    },

    lastFinished(dim: 'agent' | 'project', key: string): TaskBrief | null {
      return (dim === 'agent' ? lastFinishedByAgent : lastFinishedByProject).get(key) ?? null
    },
  }
}
