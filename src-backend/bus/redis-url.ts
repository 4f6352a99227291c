// Redis URLs carry passwords (redis://:secret@host:6379). Anything that logs or reports a Redis URL
// goes through redactRedisUrl first, so a password never reaches a log line, a health body or an
// error message.
import { BusError } from './bus'

/**
 * The URL with its password replaced by `***` (`redis://:***@host:6379/0`). The user name, host,
 * port, db and query stay: they help an operator and are not secret. A string that does not parse
 * as a URL is replaced whole, since we cannot tell where a secret might sit in it.
 */
export function redactRedisUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return '<unparseable redis url>'
  }
  if (parsed.password) parsed.password = '***'
  // Query parameters may carry a password too (ioredis accepts ?password=...).
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|token|auth/i.test(key)) parsed.searchParams.set(key, '***')
  }
  return parsed.toString()
}

/** True for `rediss://` URLs, which ioredis connects over TLS. */
export function isTlsRedisUrl(url: string): boolean {
  return /^rediss:\/\//i.test(url)
}

/**
 * Throws BUS_BAD_URL (with the URL redacted) unless `url` is a redis:// or rediss:// URL. Node's own
 * URL TypeError carries the raw input, password included, so it must never reach a log.
 */
export function assertRedisUrl(url: string): void {
  let ok: boolean
  try {
    ok = /^rediss?:$/i.test(new URL(url).protocol)
  } catch {
    ok = false
  }
  if (!ok) {
    throw new BusError('BUS_BAD_URL', `not a redis:// or rediss:// URL: ${redactRedisUrl(url)}`)
  }
}

/** The password in a URL (userinfo or ?password=), to scrub from error texts; '' when none. */
export function passwordOf(url: string): string {
  try {
    const parsed = new URL(url)
    return (parsed.password ? decodeURIComponent(parsed.password) : parsed.searchParams.get('password')) ?? ''
  } catch {
    return ''
  }
}
