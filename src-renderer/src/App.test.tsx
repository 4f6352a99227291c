// The whole renderer in happy-dom: boot (connection from #token=, socket, REST), render, live
// updates through the socket, connection states, the token gate, keyboard.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { App } from './App'
import { bootApp } from './boot'
import { AppPartsProvider } from './stores/context'
import { TOKEN_KEY } from './net/connection'
import { FakeSocket, makeTask, snapshotMsg, updateMsg } from '../../test/fakes/renderer/fake-socket'
import { fakeLayout } from '../../test/fakes/renderer/parts'

function fakeFetch(goodToken: string) {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const auth = new Headers(init?.headers).get('authorization')
    const json = (status: number, body: unknown) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
    if (url.endsWith('/api/health'))
      return json(200, {
        status: 'ok',
        redis: 'connected',
        epoch: 'E1',
        seq: 0,
        clients: 1,
        outbox_pending: 0,
        dropped_messages: 0,
        storage: 'ok',
        uptime_s: 3,
        version: '0.1.0',
      })
    if (auth !== `Bearer ${goodToken}`)
      return json(401, { error: { code: 'unauthorized', message: 'bad token' } })
    if (/\/api\/tasks\/[^/]+\/events$/.test(url)) return json(200, { events: [], next_cursor: null })
    return json(200, { tasks: [], next_cursor: null })
  }) as typeof fetch
}

describe('app', () => {
  let dispose: (() => void) | null = null
  let restoreLayout: () => void
  beforeEach(() => {
    FakeSocket.reset()
    sessionStorage.clear()
    restoreLayout = fakeLayout()
  })
  afterEach(() => {
    cleanup()
    dispose?.()
    dispose = null
    restoreLayout()
  })

  function boot(hash: string, goodToken = 'good') {
    history.replaceState(null, '', `/${hash}`)
    const app = bootApp({
      WebSocketImpl: FakeSocket,
      fetchImpl: fakeFetch(goodToken),
      schedule: (run) => queueMicrotask(() => act(run)),
    })
    dispose = app.dispose
    render(
      <AppPartsProvider parts={app.parts}>
        <App />
      </AppPartsProvider>,
    )
    return app.parts
  }

  it('connects with the token from the address, goes live, applies updates', async () => {
    boot('#token=good')
    expect(location.hash).toBe('')
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe('good')
    expect(screen.getByRole('status').textContent).toContain('Connecting')
    await vi.waitFor(() => expect(FakeSocket.instances).toHaveLength(1))
    const ws = FakeSocket.last()
    expect(ws.url).toMatch(/\/ws\?token=good$/)
    act(() => {
      ws.serverOpen()
      ws.serverSend({ type: 'hello', protocol: 2, epoch: 'E1', seq: 1 })
      ws.serverSend(
        snapshotMsg(1, [
          makeTask({ task_id: 'job-1', title: 'Build', assignee: 'builder', status: 'running' }),
        ]),
      )
    })
    await vi.waitFor(() => expect(document.querySelector('[data-agent="builder"]')).toBeTruthy())
    expect(screen.getByRole('status').textContent).toContain('Live')
    act(() =>
      ws.serverSend(
        updateMsg(
          makeTask({
            task_id: 'job-1',
            title: 'Build',
            assignee: 'builder',
            status: 'failed',
            error: 'exit 1',
          }),
          2,
          'running',
        ),
      ),
    )
    await vi.waitFor(() =>
      expect(document.querySelector('[data-agent="builder"]')!.getAttribute('data-status')).toBe('failed'),
    )
    await vi.waitFor(() => expect(document.body.textContent).toContain('Redis: connected'))

    act(() => ws.serverDrop())
    expect(screen.getByRole('status').textContent).toMatch(/Reconnecting since/)
    expect(screen.getByRole('button', { name: 'Retry connecting now' })).toBeTruthy()
    await vi.waitFor(() => expect(FakeSocket.instances).toHaveLength(2), { timeout: 5000 })
    const ws2 = FakeSocket.last()
    act(() => {
      ws2.serverOpen()
      ws2.serverSend({ type: 'hello', protocol: 2, epoch: 'E1', seq: 2 })
    })
    expect(ws2.sent[0]).toEqual({ type: 'resume', epoch: 'E1', seq: 2 })
    act(() => ws2.serverSend({ type: 'resumed', seq: 2 }))
    await vi.waitFor(() => expect(screen.getByRole('status').textContent).toContain('Live'))
  })

  it('a bad token gives a clear message, not a blank page, and a way to paste another', async () => {
    boot('#token=wrong')
    await vi.waitFor(() => expect(FakeSocket.instances).toHaveLength(1))
    act(() => FakeSocket.last().serverRefuse())
    await vi.waitFor(() =>
      expect(screen.getByRole('alert').textContent).toContain('The backend rejected the token'),
    )
    expect(screen.getByRole('alert').textContent).toContain('401')
    const input = screen.getByLabelText('Token')
    fireEvent.change(input, { target: { value: 'good' } })
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }))
    await vi.waitFor(() => expect(FakeSocket.instances.length).toBeGreaterThanOrEqual(2))
    expect(FakeSocket.last().url).toMatch(/token=good$/)
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe('good')
  })

  it('without a token says how to get one', () => {
    boot('')
    expect(screen.getByRole('alert').textContent).toContain('No token')
    expect(screen.getByRole('alert').textContent).toContain('#token=')
    expect(FakeSocket.instances).toHaveLength(0)
  })

  it('keyboard: / focuses search, digits switch views, Esc closes detail', async () => {
    const parts = boot('#token=good')
    fireEvent.keyDown(window, { key: '/' })
    expect(document.activeElement).toBe(screen.getByRole('searchbox', { name: 'Search tasks and agents' }))
    ;(document.activeElement as HTMLElement).blur()
    fireEvent.keyDown(window, { key: 'k', ctrlKey: true })
    expect(document.activeElement).toBe(screen.getByRole('searchbox'))
    ;(document.activeElement as HTMLElement).blur()
    fireEvent.keyDown(window, { key: '3' })
    expect(parts.ui.getState().view).toBe('projects')
    expect(location.hash).toBe('#/projects')
    act(() => parts.ui.getState().openTask('nope'))
    expect(screen.getByRole('dialog')).toBeTruthy()
    fireEvent.keyDown(window, { key: 'Escape' })
    expect(screen.queryByRole('dialog')).toBeNull()
  })
})
