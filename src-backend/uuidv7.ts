// A UUIDv7 in its own module: the short-lived CLI commands (hook, exec) need ids without loading
// ingest's imports (zod through the protocol).
//
// The random bits come from the kernel's /dev/urandom, read 4 KiB at a time, not from node:crypto:
// loading node:crypto costs a process 10–15 ms of CPU, and `taskpulse hook` runs on every tool
// call of an agent, which waits for it. Where there is no /dev/urandom (Windows), node:crypto.
import { closeSync, openSync, readSync } from 'node:fs'

const POOL_BYTES = 4096
let pool = Buffer.alloc(0)
let offset = 0

function refill(): void {
  const next = Buffer.allocUnsafe(POOL_BYTES)
  try {
    const fd = openSync('/dev/urandom', 'r')
    try {
      for (let n = 0; n < POOL_BYTES;) {
        const got = readSync(fd, next, n, POOL_BYTES - n, null)
        if (got <= 0) throw new Error('/dev/urandom ended')
        n += got
      }
    } finally {
      closeSync(fd)
    }
  } catch {
    process.getBuiltinModule('node:crypto').randomFillSync(next)
  }
  pool = next
  offset = 0
}

/** 16 fresh random bytes (never handed out twice). */
function randomBytes16(): Buffer {
  if (offset + 16 > pool.length) refill()
  const bytes = Buffer.from(pool.subarray(offset, offset + 16))
  offset += 16
  return bytes
}

/** A UUIDv7: time-ordered, so generated event ids sort roughly by creation time. */
export function uuidv7(now = Date.now()): string {
  const bytes = randomBytes16()
  bytes.writeUIntBE(now, 0, 6)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
