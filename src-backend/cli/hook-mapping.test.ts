// The mapping from agent hook events to task updates, over the recorded sessions of
// test/fixtures/hooks (payloads shaped as the tools' hook documentation gives them), with memory
// kept in a Map as the CLI's session file or the server's store would keep it.
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TaskFieldValues } from '../../src-shared/task-model'
import {
  childTaskId,
  describeToolCall,
  emptyMemory,
  normalizeHookPayload,
  reduceAgentEvent,
  sessionTaskId,
  TAIL_LINES,
  type AgentTool,
  type TaskMemory,
} from './hook-mapping'

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'hooks')
const identity = { assignee: 'tool@webshop', projectId: 'webshop' }

function replay(tool: AgentTool, fixture: string) {
  const memory = new Map<string, TaskMemory>()
  const tasks = new Map<string, Partial<TaskFieldValues>>()
  const statuses = new Map<string, string[]>()
  const lines = readFileSync(join(FIXTURES, fixture), 'utf8').split('\n').filter(Boolean)
  for (const line of lines) {
    const { payload } = JSON.parse(line) as { payload: unknown }
    const event = normalizeHookPayload(tool, payload)
    if (!event) continue
    const r = reduceAgentEvent(event, identity, (id) => memory.get(id) ?? emptyMemory())
    for (const [id, m] of r.memories) memory.set(id, m)
    for (const u of r.updates) {
      tasks.set(u.task_id, { ...tasks.get(u.task_id), ...u.fields })
      if (u.fields.status) statuses.set(u.task_id, [...(statuses.get(u.task_id) ?? []), u.fields.status])
    }
  }
  return { tasks, statuses }
}

describe('hook mapping over recorded sessions', () => {
  it('Claude Code: one session task running → waiting → running → completed, the sub-agent a child', () => {
    const { tasks, statuses } = replay('claude-code', 'claude-code-session.jsonl')
    const id = sessionTaskId('claude-code', '9c1e6f0a-2b7d-4c55-9a3e-5f8d2c1b7e40')
    expect(statuses.get(id)).toEqual(['running', 'waiting', 'running', 'completed'])
    const session = tasks.get(id)!
    expect(session.title).toMatch(/^The date parsing test in src\/dates\.test\.ts fails/)
    expect(session.title!.length).toBeLessThanOrEqual(80)
    expect(session.assignee).toBe('tool@webshop')
    expect(session.project_id).toBe('webshop')
    expect(session.output).toContain('Bash: npm test -- src/dates.test.ts')
    expect(session.output).toContain('Edit src/dates.ts')
    expect(session.output).toContain('Waiting: Permission needed: Bash: npm test')
    const child = childTaskId(id, 'a7f3c2e1')
    expect(tasks.get(child)).toMatchObject({ parent_id: id, title: 'code-reviewer', status: 'completed' })
    // The sub-agent's own tool call lands on the child, not the parent.
    expect(tasks.get(child)!.output).toContain('Grep: getTimezoneOffset')
    expect(session.output).not.toContain('Grep: getTimezoneOffset')
    expect(statuses.get(child)).toEqual(['running', 'completed'])
    expect([...tasks.keys()]).toHaveLength(2)
  })

  it('Codex (lifecycle hooks + notify): the same shape, the notify turn adds no second completion', () => {
    const { tasks, statuses } = replay('codex', 'codex-session.jsonl')
    const id = sessionTaskId('codex', '019a4c2e-7d1b-7f30-8c55-3e9d0b2a6f18')
    expect(statuses.get(id)).toEqual(['running', 'waiting', 'running', 'completed'])
    expect(tasks.get(id)!.title).toBe('Rename `foo` to `bar` and update the callsites.')
    expect(tasks.get(id)!.output).toContain('Bash: cargo build')
    const child = childTaskId(id, '019a4c2f-0c11-7a2b-9d3e-1f2a3b4c5d6e')
    expect(tasks.get(child)).toMatchObject({ parent_id: id, title: 'explorer', status: 'completed' })
  })

  it('Codex notify alone: one completed task per thread, titled by the first input message', () => {
    const { tasks, statuses } = replay('codex', 'codex-notify-only.jsonl')
    const id = sessionTaskId('codex', 'b5f6c1c2-1111-2222-3333-444455556666')
    expect(statuses.get(id)).toEqual(['completed'])
    expect(tasks.get(id)).toMatchObject({
      title: 'Rename `foo` to `bar` and update the callsites.',
      output: expect.stringContaining(
        'Done: Rename complete and verified `cargo build` succeeds.',
      ) as unknown,
    })
  })

  it('Gemini CLI: running → waiting (ToolPermission) → running → completed; model events ignored', () => {
    const { tasks, statuses } = replay('gemini', 'gemini-session.jsonl')
    const id = sessionTaskId('gemini', '6b0e2f4c-93a1-4d7e-b2c8-0f1e2d3c4b5a')
    expect(statuses.get(id)).toEqual(['running', 'waiting', 'running', 'completed'])
    const out = tasks.get(id)!.output!
    expect(out).toContain('run_shell_command: sh scripts/deploy.sh --dry-run')
    expect(out).toContain('replace scripts/deploy.sh')
    expect(out).toContain('Waiting: Gemini CLI needs your permission')
  })
})

describe('hook mapping rules', () => {
  const base = { session_id: 's', cwd: '/w', hook_event_name: '' }
  const run = (tool: AgentTool, payloads: object[], start = new Map<string, TaskMemory>()) => {
    const all = []
    for (const p of payloads) {
      const e = normalizeHookPayload(tool, p)
      if (!e) continue
      const r = reduceAgentEvent(e, identity, (id) => start.get(id) ?? emptyMemory())
      for (const [id, m] of r.memories) start.set(id, m)
      all.push(...r.updates)
    }
    return { updates: all, memory: start }
  }

  it('describes tool calls as the issue shows them', () => {
    expect(describeToolCall('Bash', { command: 'npm test' }, '/w')).toBe('Bash: npm test')
    expect(describeToolCall('Edit', { file_path: '/w/src/x.ts' }, '/w')).toBe('Edit src/x.ts')
    expect(describeToolCall('Write', { file_path: '/elsewhere/y.ts' }, '/w')).toBe('Write /elsewhere/y.ts')
    expect(describeToolCall('mcp__github__create_issue', { title: 'Bug' }, '/w')).toBe(
      'mcp__github__create_issue: Bug',
    )
    expect(describeToolCall('Bash', { command: 'echo a\n\techo b' }, null)).toBe('Bash: echo a echo b')
    expect(describeToolCall('Weird', 'not an object', null)).toBe('Weird')
  })

  it('keeps the last TAIL_LINES lines of activity', () => {
    const calls = Array.from({ length: TAIL_LINES + 15 }, (_, i) => ({
      ...base,
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: `step ${i}` },
    }))
    const { memory } = run('claude-code', calls)
    const tail = memory.get(sessionTaskId('claude-code', 's'))!.tail
    expect(tail).toHaveLength(TAIL_LINES)
    expect(tail.at(-1)).toBe(`Bash: step ${TAIL_LINES + 14}`)
  })

  it('sends status only when it changes, and identity only with the first update', () => {
    const { updates } = run('claude-code', [
      { ...base, hook_event_name: 'SessionStart', source: 'startup' },
      { ...base, hook_event_name: 'PreToolUse', tool_name: 'Read', tool_input: { file_path: '/w/a' } },
      { ...base, hook_event_name: 'PostToolUse', tool_name: 'Read', tool_input: { file_path: '/w/a' } },
    ])
    expect(updates[0]!.fields).toMatchObject({ status: 'running', assignee: 'tool@webshop' })
    expect(updates[1]!.fields).not.toHaveProperty('status')
    expect(updates[1]!.fields).not.toHaveProperty('assignee')
    expect(updates).toHaveLength(2) // PostToolUse of a running task changes nothing
  })

  it('keeps the first prompt as the title', () => {
    const { updates } = run('claude-code', [
      { ...base, hook_event_name: 'UserPromptSubmit', prompt: 'first' },
      { ...base, hook_event_name: 'UserPromptSubmit', prompt: 'second' },
    ])
    expect(updates.filter((u) => u.fields.title !== undefined).map((u) => u.fields.title)).toEqual(['first'])
  })

  it('StopFailure fails the task with its error; a later SessionEnd does not complete it', () => {
    const { updates, memory } = run('claude-code', [
      { ...base, hook_event_name: 'UserPromptSubmit', prompt: 'go' },
      {
        ...base,
        hook_event_name: 'StopFailure',
        error: 'rate_limit',
        error_details: '429 Too Many Requests',
      },
      { ...base, hook_event_name: 'SessionEnd', reason: 'other' },
    ])
    expect(updates.find((u) => u.fields.status === 'failed')!.fields.error).toBe(
      'rate_limit: 429 Too Many Requests',
    )
    expect(memory.get(sessionTaskId('claude-code', 's'))!.status).toBe('failed')
    expect(updates.filter((u) => u.fields.status === 'completed')).toHaveLength(0)
  })

  it('idle and elicitation notifications wait; auth_success is only a note', () => {
    const kinds = (type: string) =>
      normalizeHookPayload('claude-code', {
        ...base,
        hook_event_name: 'Notification',
        message: 'm',
        notification_type: type,
      })?.kind
    expect(kinds('idle_prompt')).toBe('waiting')
    expect(kinds('elicitation_dialog')).toBe('waiting')
    expect(kinds('permission_prompt')).toBe('waiting')
    expect(kinds('auth_success')).toBe('note')
  })

  it('maps nothing for unmapped or malformed events', () => {
    for (const p of [
      null,
      42,
      [],
      { hook_event_name: 'PreToolUse' },
      { session_id: 's', hook_event_name: 'PreCompact' },
      { session_id: 7, hook_event_name: 'Stop' },
      { type: 'something-else', 'thread-id': 't' },
    ]) {
      expect(normalizeHookPayload('claude-code', p)).toBeNull()
      expect(normalizeHookPayload('gemini', p)).toBeNull()
    }
    expect(normalizeHookPayload('codex', { type: 'agent-turn-complete' })).toBeNull()
  })

  it('makes protocol-valid task ids of any session id, stable for the same session', () => {
    const long = 'x'.repeat(500)
    const id = sessionTaskId('claude-code', long)
    expect(id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
    expect(sessionTaskId('claude-code', long)).toBe(id)
    expect(sessionTaskId('gemini', 'a/b c')).toBe('gemini:a_b_c')
    expect(childTaskId(id, 'agent')).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
  })

  it('never throws, whatever the payload (fast-check)', () => {
    const tool = fc.constantFrom<AgentTool>('claude-code', 'codex', 'gemini')
    const eventName = fc.constantFrom(
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse',
      'PostToolUse',
      'PostToolUseFailure',
      'PermissionRequest',
      'Notification',
      'SubagentStart',
      'SubagentStop',
      'Stop',
      'StopFailure',
      'SessionEnd',
      'BeforeTool',
      'AfterTool',
      'AfterAgent',
      'Elicitation',
    )
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          session_id: fc.oneof(fc.string(), fc.integer()),
          hook_event_name: eventName,
          cwd: fc.oneof(fc.string(), fc.constant(null)),
          tool_name: fc.oneof(fc.string(), fc.jsonValue()),
          tool_input: fc.jsonValue(),
          tool_response: fc.jsonValue(),
          prompt: fc.oneof(fc.string(), fc.jsonValue()),
          agent_id: fc.oneof(fc.string(), fc.integer()),
          message: fc.jsonValue(),
          notification_type: fc.string(),
          type: fc.constant('agent-turn-complete'),
          'thread-id': fc.string(),
          'input-messages': fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    )
    fc.assert(
      fc.property(tool, payload, (t, p) => {
        const e = normalizeHookPayload(t, p)
        if (!e) return
        const r = reduceAgentEvent(e, identity, () => emptyMemory())
        for (const u of r.updates) {
          expect(u.task_id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
          if (u.fields.title !== undefined) expect(u.fields.title!.length).toBeLessThanOrEqual(80)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
