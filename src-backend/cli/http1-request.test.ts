// The hook's HTTP/1.1 client against real sockets: node:http servers (what TaskPulse runs) and raw
// TCP servers that answer in odd but legal ways, or not at all.
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { http1Request, MAX_BODY_BYTES, parseResponse } from './http1-request'

const servers: { close(): void }[] = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

async function listen<T extends Server | ReturnType<typeof createHttpServer>>(server: T): Promise<number> {
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return (server.address() as AddressInfo).port
}

/** A TCP server that answers every connection with `answer` (written in the given pieces). */
async function rawServer(pieces: Buffer[], opts: { close: boolean }): Promise<number> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.once('data', () => {
      for (const p of pieces) socket.write(p)
      if (opts.close) socket.end()
    })
  })
  const port = await listen(server)
  servers.push({ close: () => sockets.forEach((s) => s.destroy()) })
  return port
}

const request = (port: number, body = '{"status":"running"}') =>
  http1Request({
    host: '127.0.0.1',
    port,
    method: 'PUT',
    path: '/api/tasks/a%20b',
    headers: { authorization: 'Bearer t0k', 'content-type': 'application/json' },
    body,
  })

describe('http1Request', () => {
  it('sends method, path, headers and body as node:http reads them; reads 204 and a JSON error', async () => {
    const seen: { method?: string; url?: string; headers?: IncomingHttpHeaders; body: string }[] = []
    const server = createHttpServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (c: string) => (body += c))
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body })
        if (seen.length === 1) return void res.writeHead(204).end()
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { message: 'invalid status' } }))
      })
    })
    const port = await listen(server)
    expect(await request(port, '{"title":"ünïcode"}')).toEqual({ status: 204, body: '' })
    expect(seen[0]).toMatchObject({
      method: 'PUT',
      url: '/api/tasks/a%20b',
      body: '{"title":"ünïcode"}',
      headers: {
        host: `127.0.0.1:${port}`,
        authorization: 'Bearer t0k',
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength('{"title":"ünïcode"}')),
        connection: 'close',
      },
    })
    expect(await request(port)).toEqual({ status: 400, body: '{"error":{"message":"invalid status"}}' })
  })

  it('decodes a chunked body (node:http without a length)', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(503)
      res.write('{"error":')
      setTimeout(() => res.end('{"message":"storage failed"}}'), 5)
    })
    const port = await listen(server)
    expect(await request(port)).toEqual({ status: 503, body: '{"error":{"message":"storage failed"}}' })
  })

  it('does not wait for a server that keeps the connection open after a whole response', async () => {
    const length = await rawServer([Buffer.from('HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok')], {
      close: false,
    })
    expect(await request(length)).toEqual({ status: 201, body: 'ok' })
    const noBody = await rawServer([Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')], { close: false })
    expect(await request(noBody)).toEqual({ status: 204, body: '' })
    const chunked = await rawServer(
      [Buffer.from('HTTP/1.1 500 x\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')],
      { close: false },
    )
    expect(await request(chunked)).toEqual({ status: 500, body: 'abc' })
  })

  it('reads past interim 1xx answers to the final one', async () => {
    const continued = await rawServer(
      [Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')],
      { close: false },
    )
    expect(await request(continued)).toEqual({ status: 200, body: 'ok' })
    const hints = await rawServer(
      [
        Buffer.from('HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n'),
        Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'),
      ],
      { close: true },
    )
    expect(await request(hints)).toEqual({ status: 204, body: '' })
  })

  it('does not take a data chunk ending in 0 for the last chunk when the bytes stop there', async () => {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.once('data', () => {
        socket.write('HTTP/1.1 422 x\r\ntransfer-encoding: chunked\r\n\r\n6\r\nabc0\r\n\r\n')
        setTimeout(() => socket.end('3\r\ndef\r\n0\r\n\r\n'), 50)
      })
    })
    const port = await listen(server)
    servers.push({ close: () => sockets.forEach((s) => s.destroy()) })
    expect(await request(port)).toEqual({ status: 422, body: 'abc0\r\ndef' })
  })

  it('rejects a refused connection with its code, and garbage or a cut response with EPROTO', async () => {
    const closed = createServer()
    const port = await listen(closed)
    closed.close()
    await expect(request(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    const garbage = await rawServer([Buffer.from('SSH-2.0-OpenSSH_9.6\r\n\r\n')], { close: true })
    await expect(request(garbage)).rejects.toMatchObject({ code: 'EPROTO' })
    const cut = await rawServer([Buffer.from('HTTP/1.1 200 OK\r\ncontent-le')], { close: true })
    await expect(request(cut)).rejects.toMatchObject({ code: 'EPROTO', message: /inside its headers/ })
    const silent = await rawServer([], { close: true })
    await expect(request(silent)).rejects.toMatchObject({ code: 'EPROTO' })
  })

  it('refuses a header value with a line break rather than send a second header', async () => {
    await expect(
      http1Request({
        host: '127.0.0.1',
        port: 1,
        method: 'PUT',
        path: '/',
        headers: { authorization: 'Bearer x\r\nx-evil: 1' },
        body: '',
      }),
    ).rejects.toThrow(/line break/)
  })

  it('reads any status and body however the bytes are split, with a length or chunked (fast-check, real sockets)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304),
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (status, text, chunked, cuts, close) => {
          const data = Buffer.from(text)
          const body = chunked
            ? Buffer.concat([
                Buffer.from(`${data.length.toString(16)}\r\n`),
                data,
                Buffer.from('\r\n0\r\n\r\n'),
              ])
            : data
          const head = `HTTP/1.1 ${status} Whatever\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${data.length}`}\r\n\r\n`
          const whole = Buffer.concat([
            Buffer.from(head),
            data.length === 0 && chunked ? Buffer.from('0\r\n\r\n') : body,
          ])
          const pieces: Buffer[] = []
          let at = 0
          for (const c of cuts) {
            if (at >= whole.length) break
            pieces.push(whole.subarray(at, at + c))
            at += c
          }
          if (at < whole.length) pieces.push(whole.subarray(at))
          const port = await rawServer(pieces, { close })
          expect(await request(port)).toEqual({ status, body: text })
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('parseResponse', () => {
  it('keeps at most MAX_BODY_BYTES of a body', () => {
    const big = 'x'.repeat(MAX_BODY_BYTES + 10)
    const raw = Buffer.from(`HTTP/1.0 413 Too Large\r\n\r\n${big}`)
    expect(parseResponse(raw)).toEqual({ status: 413, body: big.slice(0, MAX_BODY_BYTES) })
  })
})
