// One build for everything: the backend + CLI for plain Node (esbuild, ESM, dependencies left to
// node_modules), then main, preload and renderer through electron-vite.
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'

rmSync('out', { recursive: true, force: true })

await build({
  entryPoints: { cli: 'src-backend/cli.ts', child: 'src-backend/child.ts' },
  outdir: 'out/backend',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
})

const vite = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], {
  stdio: 'inherit',
})
if (vite.status !== 0) process.exit(vite.status ?? 1)
