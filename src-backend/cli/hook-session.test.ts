import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { openHookSession, sessionFileName } from './hook-session'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'taskpulse-hook-session-'))
  dirs.push(d)
  return d
}

describe('sessionFileName', () => {
  it('keeps an ordinary session key readable and escapes the colon', () => {
    expect(sessionFileName('claude-code:3f2a9c1e-0b7d-4e55-9a63-1c2d3e4f5a6b')).toBe(
      'claude-code_003a3f2a9c1e-0b7d-4e55-9a63-1c2d3e4f5a6b',
    )
  })

  it('gives two different keys two different names, each a safe file name', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.string({ unit: 'binary', maxLength: 80 }),
        (a, b) => {
          const na = sessionFileName(a)
          const nb = sessionFileName(b)
          expect(na).toMatch(/^[A-Za-z0-9._-]{1,120}$/)
          expect(na === '.' || na === '..').toBe(false)
          if (a !== b) expect(na).not.toBe(nb)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('keeps apart keys that differ only in case, or in a lone surrogate', () => {
    expect(sessionFileName('gemini:ABC')).not.toBe(sessionFileName('gemini:abc').toUpperCase())
    expect(sessionFileName('gemini:ABC').toLowerCase()).not.toBe(sessionFileName('gemini:abc'))
    const odd = ['x:\uD800', 'x:\uDBFF', 'x:\uFFFD', 'x:\uDC00\uD800']
    expect(new Set(odd.map(sessionFileName)).size).toBe(odd.length)
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('A', 'a', 'Z', 'z', ':', '_', '0', '\uD800', '\uDBFF', '\uFFFD'),
          maxLength: 20,
        }),
        fc.string({
          unit: fc.constantFrom('A', 'a', 'Z', 'z', ':', '_', '0', '\uD800', '\uDBFF', '\uFFFD'),
          maxLength: 20,
        }),
        (a, b) => {
          if (a !== b) expect(sessionFileName(a).toLowerCase()).not.toBe(sessionFileName(b).toLowerCase())
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('hashes a key too long to be a name, apart from every escaped name', () => {
    const long = `gemini:${'x'.repeat(200)}`
    expect(sessionFileName(long)).toMatch(/^_h[0-9a-f]{32}$/)
    expect(sessionFileName(long)).toBe(sessionFileName(long))
    expect(sessionFileName(`${long}y`)).not.toBe(sessionFileName(long))
  })
})

describe('openHookSession', () => {
  it('remembers a task and a strictly increasing stamp across calls, and leaves no lock behind', () => {
    const dir = tempDir()
    const key = 'claude-code:s-1'
    const first = openHookSession(dir, key)
    first.remember(new Map([['t1', { status: 'running', title: 'Fix the build', tail: ['Bash: npm test'] }]]))
    const a = first.stamp(1_000)
    first.close()
    const second = openHookSession(dir, key)
    expect(second.recall('t1')).toEqual({
      status: 'running',
      title: 'Fix the build',
      tail: ['Bash: npm test'],
    })
    expect(second.recall('other')).toEqual({ status: null, title: null, tail: [] })
    const b = second.stamp(1_000) // the same millisecond: still later
    second.close()
    expect(Date.parse(b)).toBeGreaterThan(Date.parse(a))
    expect(readdirSync(dir)).toEqual([`${sessionFileName(key)}.json`])
  })
})
