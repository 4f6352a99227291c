// Agent hook events → task updates, shared by `taskpulse hook <tool>` (a process per event) and
// `POST /api/hooks/claude-code` (the server). Pure: no I/O, no clock, no zod (the hook's start time
// is its budget), total over any input (a payload of the wrong shape maps to nothing, never throws).
//
// Two steps. normalize*() reads one tool's payload into an AgentEvent; reduceAgentEvent() turns it
// into updates, given what is remembered of the tasks involved (status, title, output tail). The
// CLI remembers in a local session file; the server reads the stored task.
//
// Field names come from the tools' hook documentation (docs/integrations.md lists the sources):
//   Claude Code: stdin JSON, `hook_event_name`, `session_id`, `cwd`, `tool_name`, `tool_input`, ...
//   Codex: `notify` appends one JSON argument {"type":"agent-turn-complete","thread-id",...}; its
//     lifecycle hooks use the Claude Code schema on stdin.
//   Gemini CLI: stdin JSON, `hook_event_name` (BeforeTool, AfterAgent, ...), `session_id`, `cwd`.
import type { TaskFieldValues, TaskStatus } from '../../src-shared/task-model'

export const AGENT_TOOLS = ['claude-code', 'codex', 'gemini'] as const
export type AgentTool = (typeof AGENT_TOOLS)[number]

export function isAgentTool(v: unknown): v is AgentTool {
  return (AGENT_TOOLS as readonly unknown[]).includes(v)
}

/** One agent event, whatever tool it came from. */
export interface AgentEvent {
  tool: AgentTool
  /** The tool's session (thread) id, as the tool gives it. */
  session: string
  cwd: string | null
  /** The tool's own event name, for the docs' mapping table and diagnostics. */
  name: string
  kind:
    | 'session-start'
    | 'prompt'
    | 'tool'
    | 'tool-done'
    | 'tool-failed'
    | 'waiting'
    | 'note'
    | 'turn-done'
    | 'turn-failed'
    | 'subagent-start'
    | 'subagent-stop'
    | 'session-end'
  /** Set when the event concerns a sub-agent (SubagentStart/Stop, or a tool call inside one). */
  agentId?: string
  agentType?: string
  prompt?: string
  /** A line for the output tail ("Bash: npm test"), or the reason of a wait, or a note. */
  line?: string
  /** The agent's last message (Stop) or an error text (StopFailure). */
  text?: string
}

/** What is known of a task before an event: the CLI's session file, or the stored task. */
export interface TaskMemory {
  /** null: never had a status from us (a stored `pending` counts as none). */
  status: TaskStatus | null
  title: string | null
  /** The output's last lines, oldest first. */
  tail: string[]
}

export const emptyMemory = (): TaskMemory => ({ status: null, title: null, tail: [] })

export interface AgentIdentity {
  /** `<tool>@<repo or directory>`, or the TASKPULSE_AGENT override. */
  assignee: string
  /** The git repository's name; null outside a repository. */
  projectId: string | null
}

export interface TaskUpdate {
  task_id: string
  fields: Partial<TaskFieldValues>
}

/** Lines of tool activity a task's output keeps; older lines roll off. */
export const TAIL_LINES = 20
const LINE_CHARS = 200
const TITLE_CHARS = 80

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** One line of at most `max` characters, control characters and runs of space folded. */
export function oneLine(text: string, max = LINE_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim()
  if (flat.length <= max) return flat
  // Cut on a code point boundary (a lone surrogate would be replaced on the way out).
  return (
    Array.from(flat.slice(0, max + 1))
      .slice(0, max - 1)
      .join('') + '…'
  )
}

/** The task id of a session: `<tool>:<session id>`, kept to the protocol's 128 id characters. */
export function sessionTaskId(tool: AgentTool, session: string): string {
  return boundedId(`${tool}:${session}`)
}

/** A sub-agent's task id, under its parent's. */
export function childTaskId(parentId: string, agentId: string): string {
  return boundedId(`${parentId}:${agentId}`)
}

function boundedId(raw: string): string {
  const safe = raw.replace(/[^A-Za-z0-9._:-]/g, '_')
  if (safe.length <= 128) return safe
  // Long or odd ids become a stable hash: the same session always gets the same task. node:crypto
  // loads only here: loading it costs each hook call ~10 ms of CPU, and session ids are short.
  const { createHash } = process.getBuiltinModule('node:crypto')
  return `${safe.slice(0, 60)}:${createHash('sha256').update(raw).digest('hex').slice(0, 40)}`
}

/** Relative to the working directory when under it: "Edit src/x.ts", not the absolute path. */
function shortPath(path: string, cwd: string | null): string {
  if (cwd && path.startsWith(cwd.endsWith('/') ? cwd : cwd + '/'))
    return path.slice(cwd.length).replace(/^\/+/, '')
  return path
}

const COMMAND_TOOLS = new Set([
  'Bash',
  'run_shell_command',
  'shell',
  'exec_command',
  'local_shell',
  'BashOutput',
])
const FILE_TOOLS = new Set([
  'Edit',
  'MultiEdit',
  'Write',
  'Read',
  'NotebookEdit',
  'write_file',
  'read_file',
  'replace',
  'read_many_files',
  'apply_patch',
])

/** "Bash: npm test", "Edit src/x.ts", "Grep: TODO", or the tool's name. */
export function describeToolCall(tool: string, input: unknown, cwd: string | null): string {
  const args = isObject(input) ? input : {}
  const name = oneLine(tool, 60) || 'tool'
  if (COMMAND_TOOLS.has(tool)) {
    const command = args.command
    const text = Array.isArray(command)
      ? command.filter((c) => typeof c === 'string').join(' ')
      : str(command)
    return text ? oneLine(`${name}: ${text}`) : name
  }
  if (FILE_TOOLS.has(tool)) {
    const path = str(args.file_path) ?? str(args.notebook_path) ?? str(args.path) ?? str(args.absolute_path)
    return path ? oneLine(`${name} ${shortPath(path, cwd)}`) : name
  }
  const detail =
    str(args.pattern) ??
    str(args.query) ??
    str(args.url) ??
    str(args.description) ??
    str(args.prompt) ??
    Object.values(args).find((v): v is string => typeof v === 'string' && v !== '')
  return detail ? oneLine(`${name}: ${detail}`) : name
}

// ---- normalizers ------------------------------------------------------------------------------

/**
 * What Claude Code's and Gemini CLI's stdin payloads share: the session, the event's name, the
 * directory, and the tool call described as a line. Null when the payload is not an event.
 */
function readCommon(tool: AgentTool, payload: unknown) {
  if (!isObject(payload)) return null
  const session = str(payload.session_id)
  const name = str(payload.hook_event_name)
  if (!session || !name) return null
  const cwd = str(payload.cwd) ?? null
  const toolName = str(payload.tool_name)
  return {
    payload,
    name,
    base: { tool, session, cwd, name },
    call: toolName ? describeToolCall(toolName, payload.tool_input, cwd) : 'tool',
  }
}

function sessionStart(
  base: Pick<AgentEvent, 'tool' | 'session' | 'cwd' | 'name'>,
  payload: Record<string, unknown>,
): AgentEvent {
  return {
    ...base,
    kind: 'session-start',
    line: `Session started (${oneLine(str(payload.source) ?? 'startup', 40)})`,
  }
}

/** Claude Code's (and Codex's lifecycle hooks') stdin payload; null when it is none we map. */
export function normalizeClaudeLike(tool: AgentTool, input: unknown): AgentEvent | null {
  const common = readCommon(tool, input)
  if (!common) return null
  const { base, call, name, payload } = common
  const agent = {
    ...(str(payload.agent_id) !== undefined && { agentId: str(payload.agent_id)! }),
    ...(str(payload.agent_type) !== undefined && { agentType: str(payload.agent_type)! }),
  }
  switch (name) {
    case 'SessionStart':
      return sessionStart(base, payload)
    case 'UserPromptSubmit':
      return {
        ...base,
        kind: 'prompt',
        ...agent,
        ...(str(payload.prompt) && { prompt: str(payload.prompt)! }),
      }
    case 'PreToolUse':
      return { ...base, kind: 'tool', ...agent, line: call }
    case 'PostToolUse':
      return { ...base, kind: 'tool-done', ...agent, line: call }
    case 'PostToolUseFailure': {
      const error = str(payload.error) ?? str(payload.error_message)
      return {
        ...base,
        kind: 'tool-failed',
        ...agent,
        line: oneLine(`${call} failed${error ? `: ${error}` : ''}`),
      }
    }
    case 'PermissionRequest':
      return { ...base, kind: 'waiting', ...agent, line: oneLine(`Permission needed: ${call}`) }
    case 'Notification': {
      const type = str(payload.notification_type)
      const message = oneLine(str(payload.message) ?? str(payload.title) ?? type ?? 'notification')
      // Without a type (older versions) a notification meant "needs permission" or "idle for 60 s".
      const waits =
        type === undefined || ['permission_prompt', 'idle_prompt', 'elicitation_dialog'].includes(type)
      return { ...base, kind: waits ? 'waiting' : 'note', line: message }
    }
    case 'Elicitation': {
      const server = str(payload.mcp_server_name)
      const message = str(payload.message) ?? 'input requested'
      return { ...base, kind: 'waiting', ...agent, line: oneLine(server ? `${server}: ${message}` : message) }
    }
    case 'SubagentStart':
      return agent.agentId ? { ...base, kind: 'subagent-start', ...agent } : null
    case 'SubagentStop':
      return agent.agentId
        ? {
            ...base,
            kind: 'subagent-stop',
            ...agent,
            ...(str(payload.last_assistant_message) && { text: str(payload.last_assistant_message)! }),
          }
        : null
    case 'Stop':
      return {
        ...base,
        kind: 'turn-done',
        ...(str(payload.last_assistant_message) && { text: str(payload.last_assistant_message)! }),
      }
    case 'StopFailure': {
      const details = str(payload.error_details)
      const error = str(payload.error) ?? 'the turn failed'
      return { ...base, kind: 'turn-failed', text: details ? `${error}: ${details}` : error }
    }
    case 'SessionEnd':
      return {
        ...base,
        kind: 'session-end',
        line: `Session ended (${oneLine(str(payload.reason) ?? 'other', 40)})`,
      }
    default:
      return null
  }
}

/** Codex `notify`: `{"type":"agent-turn-complete","thread-id","turn-id","cwd","input-messages",...}`. */
export function normalizeCodexNotify(payload: unknown): AgentEvent | null {
  if (!isObject(payload) || payload.type !== 'agent-turn-complete') return null
  // Versions before thread-id sent only turn-id: then each turn is its own task.
  const session = str(payload['thread-id']) ?? str(payload['turn-id'])
  if (!session) return null
  const inputs = Array.isArray(payload['input-messages']) ? payload['input-messages'] : []
  const prompt = inputs.find((m): m is string => typeof m === 'string' && m.trim() !== '')
  const last = str(payload['last-assistant-message'])
  return {
    tool: 'codex',
    session,
    cwd: str(payload.cwd) ?? null,
    name: 'agent-turn-complete',
    kind: 'turn-done',
    ...(prompt && { prompt }),
    ...(last && { text: last }),
  }
}

/** Gemini CLI's stdin payload. */
export function normalizeGemini(input: unknown): AgentEvent | null {
  const common = readCommon('gemini', input)
  if (!common) return null
  const { base, call, name, payload } = common
  switch (name) {
    case 'SessionStart':
      return sessionStart(base, payload)
    case 'BeforeAgent':
      return { ...base, kind: 'prompt', ...(str(payload.prompt) && { prompt: str(payload.prompt)! }) }
    case 'BeforeTool':
      return { ...base, kind: 'tool', line: call }
    case 'AfterTool': {
      const response = isObject(payload.tool_response) ? payload.tool_response : {}
      const error = isObject(response.error) ? str(response.error.message) : str(response.error)
      return error
        ? { ...base, kind: 'tool-failed', line: oneLine(`${call} failed: ${error}`) }
        : { ...base, kind: 'tool-done', line: call }
    }
    case 'Notification':
      return {
        ...base,
        kind: 'waiting',
        line: oneLine(str(payload.message) ?? str(payload.notification_type) ?? 'needs your input'),
      }
    case 'AfterAgent':
      return {
        ...base,
        kind: 'turn-done',
        ...(str(payload.prompt_response) && { text: str(payload.prompt_response)! }),
      }
    case 'SessionEnd':
      return {
        ...base,
        kind: 'session-end',
        line: `Session ended (${oneLine(str(payload.reason) ?? 'exit', 40)})`,
      }
    default:
      // BeforeModel, AfterModel (every streamed chunk), BeforeToolSelection, PreCompress: no state change.
      return null
  }
}

/** The tool's payload (`argv` JSON for Codex notify, stdin otherwise) as an AgentEvent. */
export function normalizeHookPayload(tool: AgentTool, payload: unknown): AgentEvent | null {
  if (tool === 'gemini') return normalizeGemini(payload)
  if (tool === 'codex' && isObject(payload) && typeof payload.type === 'string')
    return normalizeCodexNotify(payload)
  return normalizeClaudeLike(tool, payload)
}

// ---- the reducer ------------------------------------------------------------------------------

export interface Reduction {
  updates: TaskUpdate[]
  /** The memories after the event, for every task it touched. */
  memories: Map<string, TaskMemory>
}

/**
 * The updates one event means. `recall(taskId)` gives what is known of a task (emptyMemory() for a
 * new one). Status is sent only when it changes: a `running` per tool call would move the task's
 * started_at to every call.
 */
export function reduceAgentEvent(
  event: AgentEvent,
  identity: AgentIdentity,
  recall: (taskId: string) => TaskMemory,
): Reduction {
  const memories = new Map<string, TaskMemory>()
  const pending = new Map<string, Partial<TaskFieldValues>>()
  const mem = (id: string): TaskMemory => {
    let m = memories.get(id)
    if (!m) {
      const r = recall(id)
      m = { status: r.status, title: r.title, tail: [...r.tail] }
      memories.set(id, m)
    }
    return m
  }
  const fieldsOf = (id: string): Partial<TaskFieldValues> => {
    let f = pending.get(id)
    if (!f) {
      f = {}
      pending.set(id, f)
      // A task we have not written yet gets its identity with its first update.
      if (mem(id).status === null) {
        f.assignee = identity.assignee
        if (identity.projectId) f.project_id = identity.projectId
      }
    }
    return f
  }
  const setStatus = (id: string, status: TaskStatus) => {
    if (mem(id).status === status) return
    fieldsOf(id).status = status
    mem(id).status = status
  }
  const addLine = (id: string, line: string | undefined) => {
    if (!line) return
    const m = mem(id)
    m.tail.push(oneLine(line))
    if (m.tail.length > TAIL_LINES) m.tail.splice(0, m.tail.length - TAIL_LINES)
    fieldsOf(id).output = m.tail.join('\n')
  }
  const setTitle = (id: string, title: string | undefined) => {
    if (!title || mem(id).title) return
    const t = oneLine(title, TITLE_CHARS)
    if (!t) return
    mem(id).title = t
    fieldsOf(id).title = t
  }

  const sessionId = sessionTaskId(event.tool, event.session)
  const childId = event.agentId ? childTaskId(sessionId, event.agentId) : null
  /** Where tool activity goes: the sub-agent's task when it happened inside one. */
  const target = childId ?? sessionId
  const ensureChild = (id: string) => {
    if (mem(id).status !== null) return
    fieldsOf(id).parent_id = sessionId
    setTitle(id, event.agentType ?? 'sub-agent')
  }
  if (childId) ensureChild(childId)

  switch (event.kind) {
    case 'session-start':
      setStatus(sessionId, 'running')
      addLine(sessionId, event.line)
      break
    case 'prompt':
      setTitle(target, event.prompt)
      setStatus(target, 'running')
      if (event.prompt) addLine(target, `Prompt: ${oneLine(event.prompt, 120)}`)
      break
    case 'tool':
      setStatus(target, 'running')
      addLine(target, event.line)
      break
    case 'tool-done':
      // The call already has its line; after a permission wait this is the sign the agent went on.
      setStatus(target, 'running')
      break
    case 'tool-failed':
      setStatus(target, 'running')
      addLine(target, event.line)
      break
    case 'waiting':
      setStatus(target, 'waiting')
      addLine(target, `Waiting: ${event.line ?? 'needs your input'}`)
      break
    case 'note':
      addLine(target, event.line)
      break
    case 'turn-done':
      setTitle(sessionId, event.prompt)
      if (event.prompt && event.tool === 'codex') addLine(sessionId, `Prompt: ${oneLine(event.prompt, 120)}`)
      setStatus(sessionId, 'completed')
      addLine(sessionId, event.text ? `Done: ${oneLine(event.text, 160)}` : 'Done')
      break
    case 'turn-failed':
      setStatus(sessionId, 'failed')
      fieldsOf(sessionId).error = event.text ?? 'the turn failed'
      addLine(sessionId, `Failed: ${oneLine(event.text ?? 'the turn failed', 160)}`)
      break
    case 'subagent-start':
      setStatus(target, 'running')
      addLine(target, `Started (${oneLine(event.agentType ?? 'sub-agent', 60)})`)
      addLine(sessionId, `Sub-agent started: ${oneLine(event.agentType ?? event.agentId ?? '', 60)}`)
      break
    case 'subagent-stop':
      setStatus(target, 'completed')
      addLine(target, event.text ? `Done: ${oneLine(event.text, 160)}` : 'Done')
      addLine(sessionId, `Sub-agent done: ${oneLine(event.agentType ?? event.agentId ?? '', 60)}`)
      break
    case 'session-end': {
      const s = mem(sessionId).status
      // A session that ends mid-turn or while waiting is over; a failed one stays failed.
      if (s !== 'completed' && s !== 'failed') setStatus(sessionId, 'completed')
      addLine(sessionId, event.line)
      break
    }
  }

  const updates: TaskUpdate[] = []
  // Parents before children: the UI can place a child under a task it already knows.
  const order = [...pending.keys()].sort((a, b) => (a === sessionId ? -1 : b === sessionId ? 1 : 0))
  for (const id of order) {
    const fields = pending.get(id)!
    if (Object.keys(fields).length > 0) updates.push({ task_id: id, fields })
  }
  return { updates, memories }
}
