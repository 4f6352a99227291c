// Writes measured figures of a renderer test to test-output/<name>.json (the renderer's own
// sources may not import node modules; its tests record through this).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export function writeFigures(name: string, figures: Record<string, unknown>): void {
  const dir = join(process.cwd(), 'test-output')
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, `${name}.json`),
    JSON.stringify({ ...figures, at: new Date().toISOString() }, null, 2),
  )
}
