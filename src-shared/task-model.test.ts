import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION, serverMessageSchema, taskFieldsShape, taskWireSchema } from './protocol'
import { SETTABLE_FIELDS, TASK_FIELDS, TASK_KEYS, newTask, pickTask, sameTask } from './task-model'

describe('task model', () => {
  it('derives the key lists from the one field table', () => {
    expect(TASK_KEYS).toEqual(Object.keys(TASK_FIELDS))
    expect(SETTABLE_FIELDS).toEqual(TASK_KEYS.filter((k) => TASK_FIELDS[k].settable))
    // The producer-facing zod rules cover exactly the settable fields.
    expect(Object.keys(taskFieldsShape).sort()).toEqual([...SETTABLE_FIELDS].sort())
    expect(Object.keys(taskWireSchema.shape)).toEqual(TASK_KEYS)
  })

  it('builds a new task: pending, nullable fields null, stamps the event time', () => {
    const task = newTask('t1', 'e1', '2026-01-01T00:00:00.000Z')
    expect(Object.keys(task)).toEqual(TASK_KEYS)
    expect(task).toMatchObject({
      task_id: 't1',
      status: 'pending',
      title: null,
      output: null,
      started_at: null,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
      last_event_id: 'e1',
    })
  })

  it('picks exactly the task fields and compares them', () => {
    const task = newTask('t1', 'e1', '2026-01-01T00:00:00.000Z')
    const row = { ...task, versions: '{}', output_bytes: 3 }
    expect(pickTask(row)).toEqual(task)
    expect(sameTask(pickTask(row), task)).toBe(true)
    expect(sameTask(task, { ...task, title: 'x' })).toBe(false)
  })
})

describe('server message schema (protocol 2)', () => {
  const task = newTask('t1', 'e1', '2026-01-01T00:00:00.000Z')

  it('reads an update with the task nested, absent nullable fields as null', () => {
    const { title: _t, ...partial } = task
    const parsed = serverMessageSchema.parse({
      type: 'task_status_update',
      seq: 3,
      event_id: 'e1',
      previous_status: null,
      task: partial,
    })
    expect(parsed).toEqual({
      type: 'task_status_update',
      seq: 3,
      event_id: 'e1',
      previous_status: null,
      task,
    })
  })

  it('rejects a protocol 1 (flat) update', () => {
    const flat = { type: 'task_status_update', seq: 3, event_id: 'e1', previous_status: null, ...task }
    expect(serverMessageSchema.safeParse(flat).success).toBe(false)
  })

  it('reads the protocol version from hello; a hello without one is protocol 1', () => {
    expect(
      serverMessageSchema.parse({ type: 'hello', protocol: PROTOCOL_VERSION, epoch: 'E', seq: 0 }),
    ).toEqual({
      type: 'hello',
      protocol: 2,
      epoch: 'E',
      seq: 0,
    })
    expect(serverMessageSchema.parse({ type: 'hello', epoch: 'E', seq: 0 })).toMatchObject({ protocol: 1 })
  })
})
