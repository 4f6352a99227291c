#!/usr/bin/env node
// Entry of the `taskpulse` command: runs the built CLI (npm run build makes out/backend/cli.js).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../out/backend/cli.js', import.meta.url))
if (!existsSync(cli)) {
  process.stderr.write('taskpulse: not built yet; run `npm run build` first\n')
  process.exit(1)
}
const { main } = await import(cli)
process.exitCode = await main(process.argv.slice(2))
