// `taskpulse hook install claude-code|codex|gemini [--project] [--uninstall]`: merges TaskPulse's
// hook entries into the tool's settings. Idempotent (a second run finds its entries and changes
// nothing), backs the file up before changing it, never touches an entry that is not ours, and
// refuses to write a file it cannot parse (rather than lose the user's settings).
//
// Ours = a command hook whose command runs `taskpulse … hook <tool>` (the bin's path contains
// "taskpulse"). The command is absolute (this node, this bin), so it works without PATH set up;
// `--command` replaces the prefix (e.g. `--command taskpulse` after `npm link`).
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  writeFileSync,
} from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { isAgentTool, type AgentTool } from './hook-mapping'

/** The events each tool's settings get an entry for (the ones the mapping turns into updates). */
export const INSTALLED_EVENTS: Record<AgentTool, readonly string[]> = {
  'claude-code': [
    'SessionStart',
    'UserPromptSubmit',
    'PreToolUse',
    'PermissionRequest',
    'PostToolUse',
    'PostToolUseFailure',
    'Notification',
    'SubagentStart',
    'SubagentStop',
    'Stop',
    'StopFailure',
    'SessionEnd',
  ],
  // Codex's lifecycle hooks (hooks.json, the Claude Code schema); turn ends also come by `notify`.
  // SubagentStart/SubagentStop: openai/codex#22782 and #22873 (thread-spawned sub-agents).
  codex: [
    'SessionStart',
    'UserPromptSubmit',
    'PreToolUse',
    'PermissionRequest',
    'PostToolUse',
    'SubagentStart',
    'SubagentStop',
    'Stop',
  ],
  gemini: [
    'SessionStart',
    'BeforeAgent',
    'BeforeTool',
    'AfterTool',
    'Notification',
    'AfterAgent',
    'SessionEnd',
  ],
}

export const INSTALL_OPTIONS = {
  project: { type: 'boolean' },
  uninstall: { type: 'boolean' },
  command: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

type Json = Record<string, unknown>
interface HookCommand {
  type?: unknown
  command?: unknown
  [k: string]: unknown
}
interface MatcherGroup {
  hooks?: unknown
  [k: string]: unknown
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_/.:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** The command that runs this taskpulse: this node and the bin that was started. */
export function defaultCommandPrefix(): string[] {
  const bin = process.argv[1] ? realpathSync(process.argv[1]) : 'taskpulse'
  return [process.execPath, bin]
}

export function isOurCommand(command: unknown, tool: AgentTool): boolean {
  return typeof command === 'string' && /taskpulse/i.test(command) && command.includes(`hook ${tool}`)
}

/** Settings files for a tool: user-wide, or the project's (the current directory's) with --project. */
export function settingsPaths(
  tool: AgentTool,
  project: boolean,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): { hooksFile: string; codexConfig?: string } {
  const home = env.HOME || homedir()
  switch (tool) {
    case 'claude-code':
      // The project's *local* settings: the command names this machine's paths, so it does not
      // belong in the shared, committed .claude/settings.json.
      return {
        hooksFile: project
          ? join(cwd, '.claude', 'settings.local.json')
          : join(env.CLAUDE_CONFIG_DIR || join(home, '.claude'), 'settings.json'),
      }
    case 'gemini':
      return { hooksFile: join(project ? join(cwd, '.gemini') : join(home, '.gemini'), 'settings.json') }
    case 'codex': {
      const codexHome = project ? join(cwd, '.codex') : env.CODEX_HOME || join(home, '.codex')
      return {
        hooksFile: join(codexHome, 'hooks.json'),
        ...(!project && { codexConfig: join(codexHome, 'config.toml') }),
      }
    }
  }
}

/**
 * The settings object with our entries merged in (or, uninstalling, taken out). Pure, for tests.
 * Each event gets one matcher group holding our one command; a group of the user's is never
 * edited except to remove our command from it (and dropped only if that leaves it empty).
 */
export function mergeHookSettings(
  settings: Json,
  tool: AgentTool,
  command: string,
  uninstall: boolean,
): Json {
  const out: Json = { ...settings }
  const hooks: Json =
    typeof out.hooks === 'object' && out.hooks !== null && !Array.isArray(out.hooks)
      ? { ...(out.hooks as Json) }
      : {}
  // Gemini's timeout is in milliseconds, Claude Code's and Codex's in seconds.
  const ours: HookCommand =
    tool === 'gemini'
      ? { name: 'taskpulse', type: 'command', command, timeout: 5000 }
      : { type: 'command', command, timeout: 5 }
  const events = new Set([...INSTALLED_EVENTS[tool], ...Object.keys(hooks)])
  for (const event of events) {
    const groups = Array.isArray(hooks[event]) ? (hooks[event] as MatcherGroup[]) : null
    const wanted = !uninstall && INSTALLED_EVENTS[tool].includes(event)
    if (groups === null) {
      if (wanted) hooks[event] = [{ hooks: [ours] }]
      continue
    }
    let found = false
    const next: MatcherGroup[] = []
    for (const group of groups) {
      const list = Array.isArray(group?.hooks) ? (group.hooks as HookCommand[]) : null
      if (!list || !list.some((h) => isOurCommand(h?.command, tool))) {
        next.push(group)
        continue
      }
      const kept = list.filter((h) => !isOurCommand(h?.command, tool))
      if (wanted && !found) {
        found = true
        kept.push(ours) // refreshed in place: a moved install updates its path
      }
      if (kept.length > 0) next.push({ ...group, hooks: kept })
    }
    if (wanted && !found) next.push({ hooks: [ours] })
    if (next.length > 0) hooks[event] = next
    else delete hooks[event]
  }
  if (Object.keys(hooks).length > 0) out.hooks = hooks
  else delete out.hooks
  return out
}

/** config.toml with our top-level `notify` added or removed; `note` when the user's own is there. */
export function mergeCodexNotify(
  toml: string,
  notify: readonly string[],
  uninstall: boolean,
): { text: string; note?: string } {
  const lines = toml.split('\n')
  const firstTable = lines.findIndex((l) => /^\s*\[/.test(l))
  const topEnd = firstTable === -1 ? lines.length : firstTable
  const at = lines.findIndex((l, i) => i < topEnd && /^\s*notify\s*=/.test(l))
  const line = `notify = [${notify.map((a) => JSON.stringify(a)).join(', ')}]`
  if (at !== -1) {
    // Ours: `notify = ["…taskpulse…", "hook", "codex"]`.
    if (!/taskpulse/i.test(lines[at]!) || !/"hook",\s*"codex"/.test(lines[at]!)) {
      return uninstall
        ? { text: toml }
        : {
            text: toml,
            note: `it already has its own notify program; left it alone (Codex runs one): the lifecycle hooks in hooks.json still report`,
          }
    }
    if (uninstall) lines.splice(at, 1)
    else lines[at] = line
    return { text: lines.join('\n') }
  }
  if (uninstall) return { text: toml }
  return { text: toml === '' ? `${line}\n` : `${line}\n${toml}` }
}

function readJsonFile(path: string): Json | string {
  if (!existsSync(path)) return {}
  const text = readFileSync(path, 'utf8')
  if (text.trim() === '') return {}
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return `${path} does not hold a JSON object; not changed`
    return parsed as Json
  } catch (err) {
    return `${path} is not valid JSON (${(err as Error).message}); not changed — fix it, or move it away and run again`
  }
}

/** Writes `text` to `path` when it differs, after copying the old file to `<path>.taskpulse-backup`. */
function writeWithBackup(path: string, text: string): 'unchanged' | 'written' {
  const old = existsSync(path) ? readFileSync(path, 'utf8') : null
  if (old === text) return 'unchanged'
  mkdirSync(dirname(path), { recursive: true })
  if (old !== null) copyFileSync(path, `${path}.taskpulse-backup`)
  const tmp = `${path}.taskpulse-tmp-${process.pid}`
  writeFileSync(tmp, text)
  renameSync(tmp, path)
  return 'written'
}

export function hookInstall(argv: readonly string[]): number {
  const fail = (m: string, code = 2) => {
    process.stderr.write(`taskpulse hook install: ${m}\n`)
    return code
  }
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: INSTALL_OPTIONS, strict: true, allowPositionals: true })
  } catch (err) {
    return fail((err as Error).message)
  }
  const [tool] = parsed.positionals
  if (parsed.values.help || !tool) {
    process.stdout.write(
      'Usage: taskpulse hook install claude-code|codex|gemini [--project] [--uninstall] [--command CMD]\n',
    )
    return tool ? 0 : 2
  }
  if (!isAgentTool(tool)) return fail(`unknown tool '${tool}' (claude-code, codex or gemini)`)
  const uninstall = parsed.values.uninstall === true
  const prefix = parsed.values.command ? [parsed.values.command] : defaultCommandPrefix()
  const command = [
    ...prefix.map((p, i) => (parsed.values.command && i === 0 ? p : shellQuote(p))),
    'hook',
    tool,
  ].join(' ')
  const paths = settingsPaths(tool, parsed.values.project === true)

  const settings = readJsonFile(paths.hooksFile)
  if (typeof settings === 'string') return fail(settings, 1)
  const merged = mergeHookSettings(settings, tool, command, uninstall)
  const result = writeWithBackup(paths.hooksFile, `${JSON.stringify(merged, null, 2)}\n`)
  const report: string[] = [
    `${paths.hooksFile}: ${result === 'written' ? (uninstall ? 'removed' : 'installed') : 'already up to date'}`,
  ]

  if (paths.codexConfig) {
    const toml = existsSync(paths.codexConfig) ? readFileSync(paths.codexConfig, 'utf8') : ''
    const notifyArgs = parsed.values.command
      ? [parsed.values.command, 'hook', 'codex']
      : [...defaultCommandPrefix(), 'hook', 'codex']
    const { text, note } = mergeCodexNotify(toml, notifyArgs, uninstall)
    const r =
      toml === text && !existsSync(paths.codexConfig) ? 'unchanged' : writeWithBackup(paths.codexConfig, text)
    report.push(
      `${paths.codexConfig}: ${note ?? (r === 'written' ? (uninstall ? 'notify removed' : 'notify installed') : 'already up to date')}`,
    )
  }
  process.stderr.write(report.map((l) => `taskpulse hook install: ${l}\n`).join(''))
  if (!uninstall && !process.env.TASKPULSE_SERVER && !process.env.REDIS_URL)
    process.stderr.write(
      'taskpulse hook install: the hooks report where TASKPULSE_SERVER and TASKPULSE_TOKEN (or REDIS_URL) point; set them in the environment the agent starts from\n',
    )
  return 0
}
