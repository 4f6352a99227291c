// The `taskpulse` command: `serve`, `emit`, `hook`, `exec`, `--version`. main(argv) returns the exit code;
// bin/taskpulse.js calls it. stdout carries only machine-readable lines (the ready line, emit's
// result); logs go to stderr.
//
// Each command is imported only when it runs: `emit` is a short-lived producer call, and loading
// the server (express, better-sqlite3, pino, prom-client, ws) for it cost most of its start time.
import { version } from '../package.json'

const USAGE = `Usage:
  taskpulse serve [options]          run the backend (taskpulse serve --help)
  taskpulse emit --task ID --status S [--title T] [--output O] [--error E] [--assignee A] [--project P]
                 (--server URL --token T | --redis-url URL)   (taskpulse emit --help)
  taskpulse hook claude-code|codex|gemini   report an agent's hook event (taskpulse hook --help)
  taskpulse hook install claude-code|codex|gemini [--project] [--uninstall] [--command CMD]
  taskpulse hook flush               send what the hooks and exec spooled while TaskPulse was down
  taskpulse exec [--task ID] [--title T] [--project P] [--agent A] [--schedule S] [--heartbeat SEC] -- cmd args…
                                     run a command as a task (taskpulse exec --help)
  taskpulse schedule set|ls|rm ...    expected runs; a missed one becomes a failed task (taskpulse schedule --help)
  taskpulse feed-key rotate          a new read-only key for the ICS and cctray feeds, with both URLs
  taskpulse --version                print the version
`

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'serve':
      return (await import('./cli-serve')).serve(rest)
    case 'emit':
      return (await import('./cli-emit')).emit(rest)
    case 'hook':
      return (await import('./cli/hook')).hook(rest)
    case 'exec':
      return (await import('./cli/exec')).exec(rest)
    case 'schedule':
    case 'feed-key':
      return (await import('./cli-schedule')).scheduleCommand(command, rest)
    case '-v':
    case '--version':
    case 'version':
      process.stdout.write(`${version}\n`)
      return 0
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE)
      return command === undefined ? 2 : 0
    default:
      process.stderr.write(`taskpulse: unknown command '${command}'\n${USAGE}`)
      return 2
  }
}
