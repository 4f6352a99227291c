// `POST /api/hooks/claude-code`: Claude Code's `type: "http"` hooks, mapped exactly as
// `taskpulse hook claude-code` maps them (src-backend/cli/hook-mapping.ts). The bearer token is
// checked by the API's /api guard before this router runs; the body parser and JSON checks too.
//
// What the CLI keeps in a session file, the server reads from the stored task: its status, title
// and the output's last lines. The answer is 204 with no body: Claude Code reads a 2xx body as hook
// output (plain text becomes context for the model), and TaskPulse has nothing to tell it.
import express, { type Request, type Response } from 'express'
import type { Task } from '../../src-shared/protocol'
import { agentIdentity, cleanName } from '../cli/agent-identity'
import { normalizeClaudeLike, reduceAgentEvent, TAIL_LINES, type TaskMemory } from '../cli/hook-mapping'
import type { toTaskEvent } from '../ingest'
import type { ApplyOutcome } from '../store/task-store'

export interface HooksRouteDeps {
  getTask(taskId: string): Task | null
  submitLocal(event: ReturnType<typeof toTaskEvent>): Promise<ApplyOutcome>
  toTaskEvent: typeof toTaskEvent
}

function memoryOf(task: Task | null): TaskMemory {
  if (!task) return { status: null, title: null, tail: [] }
  return {
    // A stored `pending` is a task that never had a status from a hook.
    status: task.status === 'pending' ? null : task.status,
    title: task.title,
    tail: task.output ? task.output.split('\n').slice(-TAIL_LINES) : [],
  }
}

export function createHooksRouter(deps: HooksRouteDeps): express.Router {
  const router = express.Router()
  router.post('/claude-code', (req: Request, res: Response, next) => {
    const event = normalizeClaudeLike('claude-code', req.body)
    if (!event) {
      const body = req.body as { session_id?: unknown; hook_event_name?: unknown } | null
      const valid =
        typeof body === 'object' &&
        body !== null &&
        typeof body.session_id === 'string' &&
        body.session_id !== '' &&
        typeof body.hook_event_name === 'string'
      // A well-formed event TaskPulse does not map (PreCompact, ...) is fine; anything else is 400.
      if (valid) return res.status(204).end()
      return res.status(400).json({
        error: {
          code: 'invalid_request',
          message: 'not a Claude Code hook event: session_id and hook_event_name (strings) are required',
        },
      })
    }
    // Headers let a set-up name the agent and project (Claude Code interpolates env vars into them).
    const identity = agentIdentity(
      'claude-code',
      event.cwd,
      {
        agent: cleanName(req.get('x-taskpulse-agent') ?? '', 256) || undefined,
        project: cleanName(req.get('x-taskpulse-project') ?? '', 128) || undefined,
      },
      false,
    )
    const { updates } = reduceAgentEvent(event, identity, (id) => memoryOf(deps.getTask(id)))
    const now = new Date()
    // One after another: a parent's update lands before its child's.
    ;(async () => {
      for (const u of updates) {
        await deps.submitLocal(
          deps.toTaskEvent({ task_id: u.task_id, fields: u.fields, source: 'rest', received_at: now }),
        )
      }
      res.status(204).end()
    })().catch(next)
  })
  return router
}
