// The last-resort guards on their own: a handler that throws costs one request (400, logged), never
// the process. The live-server side of this is test/adversarial/fuzz.test.ts.
import { createServer, request, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createEntryGuards, rateLimitedLog } from './entry-guards'
import { requestUrlOf } from './guard'

function captureLog() {
  const lines: Record<string, unknown>[] = []
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  )
  return { log, lines }
}

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
  server = undefined
})

async function listen(s: Server): Promise<number> {
  server = s
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  return (s.address() as AddressInfo).port
}

/** Sends raw bytes and resolves with everything the server wrote until it closed. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    let out = ''
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')))
    socket.on('error', reject)
    socket.on('close', () => resolve(out))
  })
}

describe('requestUrlOf', () => {
  it.each(['//', '//[', 'http://[', '//ws?x=1'])('is total on %s', (url) => {
    expect(() => requestUrlOf({ url })).not.toThrow()
  })
  it('returns null for a target that is not a URL, the URL otherwise', () => {
    expect(requestUrlOf({ url: '//' })).toBeNull()
    expect(requestUrlOf({ url: '/ws?token=a' })?.searchParams.get('token')).toBe('a')
    expect(requestUrlOf({ url: 'http://127.0.0.1/ws' })?.pathname).toBe('/ws')
  })
})

describe('entry guards', () => {
  it('a request handler that throws answers 400 JSON and logs; the server keeps serving', async () => {
    const { log, lines } = captureLog()
    const guards = createEntryGuards(log)
    const port = await listen(
      createServer(
        guards.request((req, res) => {
          if (req.url === '/boom') throw new Error('handler bug')
          res.end('ok')
        }),
      ),
    )
    const boom = await raw(port, 'GET /boom HTTP/1.1\r\nHost: x\r\n\r\n')
    expect(boom).toMatch(/^HTTP\/1\.1 400 /)
    expect(boom).toContain('{"error":{"code":"bad_request"')
    expect(boom).not.toContain('handler bug')
    expect(lines.some((l) => l.entry === 'request' && l.level === 50)).toBe(true)
    const ok = await new Promise<number>((resolve, reject) =>
      request({ port, host: '127.0.0.1', path: '/' }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
        .on('error', reject)
        .end(),
    )
    expect(ok).toBe(200)
  })

  it('an upgrade handler that throws answers 400 on the socket and logs', async () => {
    const { log, lines } = captureLog()
    const guards = createEntryGuards(log)
    const s = createServer()
    s.on(
      'upgrade',
      guards.upgrade(() => {
        throw new Error('upgrade bug')
      }),
    )
    const port = await listen(s)
    const reply = await raw(
      port,
      'GET // HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    )
    expect(reply).toMatch(/^HTTP\/1\.1 400 /)
    expect(lines.some((l) => l.entry === 'upgrade' && l.url === '//')).toBe(true)
  })

  it('clientError: 431 for oversized headers, 400 for garbage, each with a JSON body', async () => {
    const { log } = captureLog()
    const guards = createEntryGuards(log)
    const s = createServer((_req, res) => res.end('ok'))
    s.on('clientError', guards.clientError)
    const port = await listen(s)
    const big = await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(big).toMatch(/^HTTP\/1\.1 431 /)
    const garbage = await raw(port, 'GET / HTTP/1.1\r\nHost x\r\n\r\n')
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /)
    expect(garbage).toContain('"code":"bad_request"')
  })

  it('rateLimitedLog writes at most N lines a window and reports what it held back', () => {
    const limited = rateLimitedLog(2)
    const written: number[] = []
    for (let i = 0; i < 5; i++) limited((suppressed) => written.push(suppressed))
    expect(written).toEqual([0, 0])
  })
})
