#!/usr/bin/env node
// Entry of the `taskpulse` command: runs the built CLI (npm run build makes out/backend/cli.js, and
// out/backend/hook.cjs for `taskpulse hook`).
//
// Builtins come through process.getBuiltinModule, not `import`: an ESM import of a builtin builds a
// facade that reads every export (fs.promises, ...), and `taskpulse hook` runs on every tool call
// of an agent, which waits for it.
const { existsSync } = process.getBuiltinModule('node:fs')
const { join } = process.getBuiltinModule('node:path')

// V8's compiled code for our modules is kept on disk between runs (Node >= 22.1), under the user's
// cache directory, so the CLI's modules are compiled once, not on every hook call.
// NODE_COMPILE_CACHE (another directory) and NODE_DISABLE_COMPILE_CACHE=1 work as Node documents.
const { enableCompileCache } = process.getBuiltinModule('node:module')
if (typeof enableCompileCache === 'function' && !process.env.NODE_COMPILE_CACHE) {
  try {
    const cacheHome =
      process.platform === 'win32' && process.env.LOCALAPPDATA
        ? process.env.LOCALAPPDATA
        : process.env.XDG_CACHE_HOME || join(process.getBuiltinModule('node:os').homedir(), '.cache')
    enableCompileCache(join(cacheHome, 'taskpulse', 'compile-cache'))
  } catch {
    // a cache that cannot be made costs speed, never the command
  }
}

const args = process.argv.slice(2)
const backend = join(import.meta.dirname, '..', 'out', 'backend')
const cli = join(backend, 'cli.js')
if (!existsSync(cli)) {
  process.stderr.write('taskpulse: not built yet; run `npm run build` first\n')
  process.exit(1)
}
if (args[0] === 'hook') {
  // The lean path: one CommonJS file with only what a hook call needs.
  const { createRequire } = process.getBuiltinModule('node:module')
  const { hook } = createRequire(import.meta.url)(join(backend, 'hook.cjs'))
  process.exitCode = await hook(args.slice(1))
} else {
  const { main } = await import(cli)
  process.exitCode = await main(args)
}
