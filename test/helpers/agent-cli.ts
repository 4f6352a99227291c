// Runs `taskpulse hook` / `taskpulse exec` from the built entry as real processes, and loads the
// recorded hook sessions of test/fixtures/hooks (see its README for where they come from).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './backend-process'

export const BIN = join(REPO_ROOT, 'bin', 'taskpulse.js')
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'hooks')
/** The working directory the fixtures were recorded in; tests swap in a directory of their own. */
export const FIXTURE_CWD = '/home/dev/webshop'

export interface CliRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
  /** Wall time from spawn to exit, ms. */
  ms: number
}

export interface RunOptions {
  stdin?: string | Buffer
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** A ceiling for a hung process (not a speed check). */
  timeoutMs?: number
  /** Called with the process once it is spawned (to signal it from outside). */
  onSpawn?: (proc: ChildProcess) => void
}

/** A clean environment: no TaskPulse target inherited from the machine running the tests. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of [
    'TASKPULSE_SERVER',
    'TASKPULSE_TOKEN',
    'REDIS_URL',
    'TASKPULSE_AGENT',
    'TASKPULSE_PROJECT',
  ])
    delete env[k]
  return { ...env, ...extra }
}

export function runCli(args: readonly string[], opts: RunOptions = {}): Promise<CliRun> {
  const started = performance.now()
  const proc = spawn(process.execPath, [BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: opts.env ?? cliEnv(),
    cwd: opts.cwd ?? REPO_ROOT,
  })
  const out: Buffer[] = []
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => out.push(d))
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  proc.stdin.on('error', () => undefined) // the hook may exit before reading a huge input
  proc.stdin.end(opts.stdin ?? '')
  opts.onSpawn?.(proc)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(
        new Error(
          `taskpulse ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 60_000} ms; stderr: ${stderr}`,
        ),
      )
    }, opts.timeoutMs ?? 60_000)
    proc.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(out), stderr, ms: performance.now() - started })
    })
  })
}

export interface FixtureStep {
  via: 'stdin' | 'argv'
  payload: Record<string, unknown>
}

/** A recorded session, its working directory replaced by `cwd`. */
export function loadFixture(name: string, cwd: string): FixtureStep[] {
  const text = readFileSync(join(FIXTURES, name), 'utf8').split(FIXTURE_CWD).join(cwd)
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as FixtureStep)
}

/** Feeds one step to `taskpulse hook <tool>` the way the tool would. */
export function runHookStep(tool: string, step: FixtureStep, opts: RunOptions = {}): Promise<CliRun> {
  return step.via === 'argv'
    ? runCli(['hook', tool, JSON.stringify(step.payload)], opts)
    : runCli(['hook', tool], { ...opts, stdin: JSON.stringify(step.payload) })
}

/** A directory that looks like a git clone of `origin` (what the hook reads: .git/config). */
export function makeGitRepo(dir: string, origin: string): string {
  mkdirSync(join(dir, '.git'), { recursive: true })
  writeFileSync(
    join(dir, '.git', 'config'),
    `[core]\n\trepositoryformatversion = 0\n[remote "origin"]\n\turl = ${origin}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`,
  )
  mkdirSync(join(dir, 'src'), { recursive: true })
  return dir
}
