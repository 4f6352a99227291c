import { describe, expect, it } from 'vitest'
import { ApiRequestError, createApi } from './api'

describe('api.ack', () => {
  function recording(status = 200) {
    const calls: { url: string; method: string; body: unknown; auth: string | null }[] = []
    const fetchImpl = (async (url: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers)
      calls.push({
        url,
        method: init.method ?? 'GET',
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
        auth: headers.get('authorization'),
      })
      return new Response(
        status === 200
          ? JSON.stringify({ task: {} })
          : JSON.stringify({ error: { code: 'not_found', message: 'no task x' } }),
        { status, headers: { 'content-type': 'application/json' } },
      )
    }) as typeof fetch
    const api = createApi(
      () => ({ url: 'http://h:1', wsUrl: 'ws://h:1/ws', token: 'tok', mode: 'remote' }),
      fetchImpl,
    )
    return { api, calls }
  }

  it('one task: POST /api/tasks/:id/ack with {} and the token', async () => {
    const { api, calls } = recording()
    await api.ack(['a/b'])
    expect(calls).toEqual([
      { url: 'http://h:1/api/tasks/a%2Fb/ack', method: 'POST', body: {}, auth: 'Bearer tok' },
    ])
  })

  it('several: POST /api/tasks/ack, at most 1000 ids a call; none: no call', async () => {
    const { api, calls } = recording()
    await api.ack([])
    expect(calls).toHaveLength(0)
    const ids = Array.from({ length: 2500 }, (_, i) => `t${i}`)
    await api.ack(ids)
    expect(calls.map((c) => [c.url, (c.body as { task_ids: string[] }).task_ids.length])).toEqual([
      ['http://h:1/api/tasks/ack', 1000],
      ['http://h:1/api/tasks/ack', 1000],
      ['http://h:1/api/tasks/ack', 500],
    ])
    expect((calls[2]!.body as { task_ids: string[] }).task_ids.at(-1)).toBe('t2499')
  })

  it('a refusal is a typed error with the server message', async () => {
    const { api } = recording(404)
    await expect(api.ack(['x'])).rejects.toEqual(new ApiRequestError(404, 'not_found', 'no task x'))
  })
})
