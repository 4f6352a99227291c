// GET /api/search and GET /api/tasks?q= against the real built backend in its own process, with a
// real SQLite file: full-text over output, error, agent and project, hostile queries, auth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiError, SearchResponse, TaskList } from '../../src-shared/protocol'
import { removeDir, startBackend, type Backend } from '../helpers/backend-process'

let backend: Backend

const TRACE = [
  'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
  '\tat com.example.etl.Loader.read(Loader.java:88)',
  '\tat com.example.etl.Main.main(Main.java:12)',
].join('\n')

beforeAll(async () => {
  backend = await startBackend()
  const put = async (id: string, body: object) => {
    const res = await backend.api(`/api/tasks/${id}`, { method: 'PUT', body: JSON.stringify(body) })
    expect(res.status, await res.clone().text()).toBeLessThan(300)
  }
  await put('etl-1', { status: 'failed', title: 'Load warehouse', error: TRACE, assignee: 'nightly-etl' })
  await put('build-7', {
    status: 'running',
    title: 'Build app',
    output: `${'compiling module\n'.repeat(2000)}linking kernel image\n`,
    assignee: 'claude-code@repo-x',
    project_id: 'billing-api',
  })
  await put('docs-2', { status: 'completed', title: 'Write the guide', assignee: 'codex-runner-3' })
})
afterAll(async () => {
  await backend?.stop()
  if (backend) removeDir(backend.dataDir)
})

async function search(q: string, extra = ''): Promise<SearchResponse> {
  const res = await backend.api(`/api/search?q=${encodeURIComponent(q)}${extra}`)
  expect(res.status, await res.clone().text()).toBe(200)
  return (await res.json()) as SearchResponse
}

describe('GET /api/search', () => {
  it('finds a task by a word of its output, error, agent or project, with the field and a snippet', async () => {
    const oom = await search('OutOfMemory')
    expect(oom).toMatchObject({ query: 'OutOfMemory', truncated: false })
    expect(oom.results).toEqual([
      {
        task_id: 'etl-1',
        field: 'error',
        snippet: expect.stringContaining('java.lang.OutOfMemoryError') as unknown,
      },
    ])
    const kernel = await search('kernel image')
    expect(kernel.results).toMatchObject([{ task_id: 'build-7', field: 'output' }])
    expect(kernel.results[0]!.snippet.length).toBeLessThanOrEqual(160)
    expect((await search('codex-runner')).results).toMatchObject([{ task_id: 'docs-2', field: 'assignee' }])
    expect((await search('billing')).results).toMatchObject([{ task_id: 'build-7', field: 'project_id' }])
  })

  it('answers newest first and honours limit', async () => {
    const all = await search('a b c d e f g h i j k l m n o p q r s t u v w x y z', '&limit=5000')
    expect(all.results).toEqual([]) // every word must be found
    const page = await search('etl OR build') // "OR" is a word here, not an operator
    expect(page.results).toEqual([])
    const two = await search('com', '&limit=1')
    expect(two.results).toHaveLength(1)
    expect(two.truncated).toBe(true) // "com" is in com.example… and in "compiling"
    const every = (await backend.api('/api/tasks')).json() as Promise<TaskList>
    const newestFirst = (await every).tasks.map((t) => t.task_id)
    const anyOf = await search('a') // a prefix of "app", "api", …: several tasks
    expect(anyOf.results.map((r) => r.task_id)).toEqual(
      newestFirst.filter((id) => anyOf.results.some((r) => r.task_id === id)),
    )
  })

  it('takes hostile text as words: no 500, punctuation alone finds nothing', async () => {
    for (const q of [
      '"',
      '%',
      '***',
      'NEAR(a b)',
      'title: x',
      '{output}: y',
      '^java',
      '"unbalanced',
      'a"b',
      '🚀🚀',
      ')(',
      'x'.repeat(1000),
    ]) {
      const res = await backend.api(`/api/search?q=${encodeURIComponent(q)}`)
      expect(res.status, q).toBe(200)
      const body = (await res.json()) as SearchResponse
      expect(body.query).toBe(q)
    }
    expect((await search('%')).results).toEqual([])
    expect((await search('^java')).results.map((r) => r.task_id)).toEqual(['etl-1'])
  })

  it('rejects a missing, empty or too long query and a bad limit with 400 and a JSON error', async () => {
    for (const path of [
      '/api/search',
      '/api/search?q=',
      `/api/search?q=${'x'.repeat(1001)}`,
      '/api/search?q=a&limit=0',
      '/api/search?q=a&limit=5001',
      '/api/search?q=a&limit=two',
      '/api/search?q=a&extra=1',
    ]) {
      const res = await backend.api(path)
      expect(res.status, path).toBe(400)
      expect(((await res.json()) as ApiError).error.code, path).toBe('invalid_request')
    }
  })

  it('needs the bearer token', async () => {
    const res = await fetch(`${backend.url}/api/search?q=OutOfMemory`)
    expect(res.status).toBe(401)
    const wrong = await fetch(`${backend.url}/api/search?q=OutOfMemory`, {
      headers: { authorization: 'Bearer nope' },
    })
    expect(wrong.status).toBe(401)
  })
})

describe('GET /api/tasks?q=', () => {
  it('uses the same index: words of output and error find their tasks, in the listing shape', async () => {
    const res = await backend.api('/api/tasks?q=OutOfMemory')
    expect(res.status).toBe(200)
    const body = (await res.json()) as TaskList
    expect(body.tasks.map((t) => t.task_id)).toEqual(['etl-1'])
    expect(body.next_cursor).toBeNull()
    expect(body.tasks[0]).toMatchObject({ status: 'failed', assignee: 'nightly-etl' })
    const kernel = (await (await backend.api('/api/tasks?q=kernel&status=running')).json()) as TaskList
    expect(kernel.tasks.map((t) => t.task_id)).toEqual(['build-7'])
    const none = (await (await backend.api('/api/tasks?q=%25')).json()) as TaskList
    expect(none).toEqual({ tasks: [], next_cursor: null })
  })
})

describe('after a restart', () => {
  it('the index is still there and still in step', async () => {
    expect(await backend.stop()).toBe(0)
    backend = await startBackend({ dataDir: backend.dataDir })
    expect((await search('OutOfMemory')).results.map((r) => r.task_id)).toEqual(['etl-1'])
    const res = await backend.api('/api/tasks/etl-1', {
      method: 'PUT',
      body: JSON.stringify({ error: 'disk full' }),
    })
    expect(res.status).toBe(200)
    expect((await search('OutOfMemory')).results).toEqual([])
    expect((await search('disk full')).results.map((r) => r.task_id)).toEqual(['etl-1'])
  })
})
