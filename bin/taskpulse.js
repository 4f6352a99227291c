#!/usr/bin/env node
// Entry of the `taskpulse` command: runs the built CLI (npm run build makes out/backend/cli.js, and
// out/backend/hook.cjs for `taskpulse hook`).
//
// CommonJS (bin/package.json says so), not an ES module: `taskpulse hook` runs on every tool call of
// an agent, which waits for it, and Node's ES module loader costs a few milliseconds of start a
// CommonJS entry does not pay. The other commands import the ES-module CLI as before.
//
// Builtins come through process.getBuiltinModule: only what a hook call needs is loaded.
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
const backend = join(__dirname, '..', 'out', 'backend')
const cli = join(backend, 'cli.js')
if (!existsSync(cli)) {
  process.stderr.write('taskpulse: not built yet; run `npm run build` first\n')
  process.exit(1)
}
const run =
  args[0] === 'hook'
    ? // The lean path: one CommonJS file with only what a hook call needs.
      require(join(backend, 'hook.cjs')).hook(args.slice(1))
    : import(process.getBuiltinModule('node:url').pathToFileURL(cli).href).then(({ main }) => main(args))
run.then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    process.stderr.write(`taskpulse: ${err && err.stack ? err.stack : String(err)}\n`)
    process.exitCode = 1
  },
)
