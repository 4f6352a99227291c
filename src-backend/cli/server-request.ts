// One REST call to a TaskPulse server for the short-lived commands (`emit`, `schedule`,
// `feed-key`), with the token and a 10 s ceiling. node:http(s), not fetch: undici's first use
// costs about as much CPU as the rest of such a command (0.1 s measured), for a single request.

export interface ServerReply {
  status: number
  text: string
}

export function serverRequest(method: string, url: URL, token: string, body?: unknown): Promise<ServerReply> {
  const { request } =
    url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http')
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'x-taskpulse-source': 'cli',
          ...(payload !== undefined && {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          }),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timed out after 10 s'), { code: 'ETIMEDOUT' })),
    )
    req.on('error', reject)
    req.end(payload)
  })
}

/** The server's error message (and its details, one per line) from an error reply. */
export function replyError(reply: ServerReply): string {
  try {
    const parsed = JSON.parse(reply.text) as {
      error: { message: string; details?: { path: string; message: string }[] }
    }
    const details = parsed.error.details?.map((d) => `  ${d.path || '(body)'}: ${d.message}`).join('\n')
    return details ? `${parsed.error.message}\n${details}` : parsed.error.message
  } catch {
    return reply.text
  }
}
