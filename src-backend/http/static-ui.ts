// The built UI (out/renderer), served from memory. Every file is read once at start with its ETag:
// a request opens no file, so a flood of pipelined `GET /` (no token needed) cannot exhaust file
// handles, and each answer is written synchronously, which lets Node's own back-pressure stop
// reading a connection whose answers are not being read.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import type { NextFunction, Request, Response } from 'express'

/** The UI's policy: scripts and connections only to this server, no framing. */
export const UI_CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"

/** A renderer build is a few MiB; a folder far larger than that is not one. */
const MAX_UI_BYTES = 64 * 1024 * 1024

interface UiFile {
  body: Buffer
  etag: string
  ext: string
}

/** Reads every file under `dir` (keys are URL paths: `/index.html`, `/assets/x.js`). */
export function loadUiFiles(dir: string): Map<string, UiFile> {
  const files = new Map<string, UiFile>()
  let total = 0
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name)
      if (entry.isDirectory()) {
        walk(full)
        continue
      }
      if (!entry.isFile()) continue
      total += statSync(full).size
      if (total > MAX_UI_BYTES) throw new Error(`UI folder ${dir} holds more than ${MAX_UI_BYTES} bytes`)
      const body = readFileSync(full)
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
      files.set('/' + relative(dir, full).split(sep).join('/'), { body, etag, ext: extname(full) })
    }
  }
  walk(dir)
  return files
}

/** True when If-None-Match names this ETag (weak comparison, RFC 9110 §13.1.2). */
function notModified(header: string | undefined, etag: string): boolean {
  if (!header) return false
  if (header.trim() === '*') return true
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)
}

/** Express middleware serving `files` for GET and HEAD; anything else falls through (404). */
export function serveUiFromMemory(files: Map<string, UiFile>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next()
    let path: string
    try {
      path = decodeURIComponent(req.path)
    } catch {
      return next()
    }
    if (path.endsWith('/')) path += 'index.html'
    const file = files.get(path)
    if (!file) return next()
    res.setHeader('Content-Security-Policy', UI_CSP)
    res.setHeader('Cache-Control', 'no-cache')
    res.setHeader('ETag', file.etag)
    if (notModified(req.headers['if-none-match'], file.etag)) {
      res.status(304).end()
      return
    }
    res.type(file.ext)
    res.setHeader('Content-Length', file.body.length)
    if (req.method === 'HEAD') res.end()
    else res.end(file.body)
  }
}
