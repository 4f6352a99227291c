// Structured logs (pino) to stderr, so stdout stays free for machine-readable lines. Secrets are
// redacted by path; Redis URLs are logged only through redactRedisUrl.
import { pino, type Logger } from 'pino'

export function createLogger(level: string = 'info'): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: [
          'token',
          '*.token',
          'password',
          '*.password',
          'headers.authorization',
          'req.headers.authorization',
        ],
        censor: '***',
      },
    },
    pino.destination({ dest: 2, sync: false }),
  )
}
