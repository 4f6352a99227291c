// `npm start` helper: makes sure Electron's binary is present before `electron .` runs. npm
// installs the electron package without its ~100 MB binary when ELECTRON_SKIP_BINARY_DOWNLOAD is
// set (CI, this repository's sandbox); this fetches it on first run, once, into
// node_modules/electron/dist. Exits non-zero with a message a user can act on when it cannot.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const electronDir = dirname(require.resolve('electron/package.json'))

function installedBinary() {
  const pathFile = join(electronDir, 'path.txt')
  if (!existsSync(pathFile)) return null
  const bin = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim())
  return existsSync(bin) ? bin : null
}

if (!installedBinary()) {
  console.error('TaskPulse: fetching the Electron binary (first run only)…')
  const env = { ...process.env }
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD
  const r = spawnSync(process.execPath, [join(electronDir, 'install.js')], { stdio: 'inherit', env })
  if (r.status !== 0 || !installedBinary()) {
    console.error(
      'TaskPulse: could not download Electron. Check your network or proxy (HTTPS_PROXY), or set\n' +
        'ELECTRON_MIRROR to a reachable mirror, then run `npm start` again. The backend alone runs\n' +
        'without Electron: `npm run serve` and open the printed URL in a browser.',
    )
    process.exit(1)
  }
}
const out = ['out/main/index.js', 'out/preload/index.cjs', 'out/backend/child.js', 'out/renderer/index.html']
const missing = out.filter((f) => !existsSync(f))
if (missing.length > 0) {
  console.error(`TaskPulse: build output missing (${missing.join(', ')}): run \`npm run build\` first.`)
  process.exit(1)
}
