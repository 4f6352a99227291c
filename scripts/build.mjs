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

// `taskpulse hook` alone, as one CommonJS file that bin/taskpulse.js loads for that command: an
// agent starts it on every tool call and waits for it. CommonJS because `require('node:crypto')`
// is the module itself, while an ESM `import` of a builtin builds a facade that reads every export
// (crypto's lazy webcrypto, fs.promises, ...): 15-30 ms of CPU per call, measured; and one file,
// not the shared chunks (docs/benchmarks.md#agent-hooks).
await build({
  entryPoints: { hook: 'src-backend/cli/hook.ts' },
  outdir: 'out/backend',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})

const vite = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], {
  stdio: 'inherit',
})
if (vite.status !== 0) process.exit(vite.status ?? 1)
