import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireDataDirLock, ensureDataDir } from './data-dir-lock'
import { DataDirInUseError, describeStorageFailure, StorageError } from './storage-errors'

const dirs: string[] = []
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'taskpulse-lock-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('data dir', () => {
  it('creates missing levels, and accepts an existing dir', () => {
    const base = fresh()
    const dir = join(base, 'a', 'b', 'c')
    expect(ensureDataDir(dir)).toBe(dir)
    expect(existsSync(dir)).toBe(true)
    expect(ensureDataDir(dir)).toBe(dir)
  })

  it('fails at once, naming the path, where it cannot be a dir (procfs, below a file)', () => {
    expect(() => ensureDataDir('/proc/taskpulse-unit/x')).toThrow(StorageError)
    expect(() => ensureDataDir('/proc/taskpulse-unit/x')).toThrow('/proc/taskpulse-unit/x')
    const file = join(fresh(), 'plain-file')
    writeFileSync(file, 'x')
    expect(() => ensureDataDir(join(file, 'sub'))).toThrow(/not a directory|ENOTDIR/)
  })
})

describe('data dir lock', () => {
  it('is exclusive while held, names the holder, and is free again once released', () => {
    const dir = fresh()
    const lock = acquireDataDirLock(dir)
    expect(JSON.parse(readFileSync(join(dir, 'taskpulse.pid'), 'utf8'))).toMatchObject({ pid: process.pid })
    let refused: unknown
    try {
      acquireDataDirLock(dir)
    } catch (err) {
      refused = err
    }
    expect(refused).toBeInstanceOf(DataDirInUseError)
    expect((refused as Error).message).toContain(dir)
    lock.release()
    expect(existsSync(join(dir, 'taskpulse.pid'))).toBe(false)
    const again = acquireDataDirLock(dir)
    again.release()
    again.release() // idempotent
  })

  it('ignores a leftover pid file: only the kernel lock decides', () => {
    const dir = fresh()
    writeFileSync(join(dir, 'taskpulse.pid'), JSON.stringify({ pid: 1, started_at: 'long ago' }))
    writeFileSync(join(dir, 'taskpulse.lock'), '') // an empty lock file left by a crash
    const lock = acquireDataDirLock(dir)
    lock.release()
    writeFileSync(join(dir, 'taskpulse.lock'), 'not a database at all, '.repeat(100))
    acquireDataDirLock(dir).release()
  })
})

describe('storage failures in words', () => {
  it('names the cause and keeps the SQLite code', () => {
    expect(
      describeStorageFailure(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })),
    ).toBe('the disk is full (SQLITE_FULL)')
    expect(describeStorageFailure(Object.assign(new Error('x'), { code: 'SQLITE_IOERR_WRITE' }))).toBe(
      'a disk I/O error (SQLITE_IOERR_WRITE)',
    )
    expect(
      describeStorageFailure(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })),
    ).toMatch(/locked by another process/)
    expect(describeStorageFailure(new Error('plain'))).toBe('plain')
  })
})
