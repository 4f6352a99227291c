// What a new user sees before the first task: how to send one, with the real URL filled in.
import { useParts, useStatus } from '../stores/context'
import { CopyButton } from './CopyButton'

export function EmptyState({ what = 'tasks' }: { what?: string }) {
  const { connection } = useParts()
  const redis = useStatus((s) => s.health?.redis)
  const c = connection.current()
  const url = c?.url ?? 'http://127.0.0.1:8080'
  const token = c?.token ?? 'TOKEN'
  const lines: { label: string; cmd: string }[] = [
    { label: 'Keep the token in your shell', cmd: `export TASKPULSE_TOKEN='${token}'` },
    {
      label: 'REST',
      cmd: `curl -X PUT ${url}/api/tasks/first-task -H "Authorization: Bearer $TASKPULSE_TOKEN" -H 'Content-Type: application/json' -d '{"status":"running","title":"My first task","assignee":"agent-1"}'`,
    },
    {
      label: 'CLI',
      cmd: `npx taskpulse emit --server ${url} --token "$TASKPULSE_TOKEN" --task first-task --status completed --assignee agent-1 --output 'done'`,
    },
    {
      label: redis === 'disabled' ? 'Redis (when the backend runs with --redis-url)' : 'Redis',
      cmd: `redis-cli -u "$REDIS_URL" PUBLISH task_status_update '{"task_id":"first-task","status":"failed","assignee":"agent-1","error":"boom"}'`,
    },
  ]
  return (
    <section className="empty" aria-label="No tasks yet">
      <h2>No {what} yet</h2>
      <p>Send a first task status and it appears here within a frame. Any of these works:</p>
      <ol className="empty-cmds">
        {lines.map((l) => (
          <li key={l.label}>
            <div className="empty-cmd-head">
              <span>{l.label}</span>
              <CopyButton text={l.cmd} ariaLabel={`Copy ${l.label} command`} />
            </div>
            <pre className="mono">
              {l.label.startsWith('Keep') ? `export TASKPULSE_TOKEN='${'•'.repeat(12)}'` : l.cmd}
            </pre>
          </li>
        ))}
      </ol>
    </section>
  )
}
