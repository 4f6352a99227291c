// The short-lived commands' --help texts name every option their parser accepts (as config.test.ts
// checks for `serve`), and emit's names every status the protocol accepts: the help is what a
// newcomer reads first, and a flag or status missing there is one they never find.
import { describe, expect, it } from 'vitest'
import { taskStatusSchema } from '../src-shared/protocol'
import { EMIT_OPTIONS, EMIT_USAGE } from './cli-emit'
import { SCHEDULE_OPTIONS, SCHEDULE_USAGE } from './cli-schedule'
import { EXEC_OPTIONS, EXEC_USAGE } from './cli/exec'
import { HOOK_OPTIONS, HOOK_USAGE } from './cli/hook'
import { INSTALL_OPTIONS } from './cli/hook-install'

/** Options a usage may leave out on purpose: --help itself, and aliases of a listed option. */
const UNLISTED = new Set(['help', 'tz'])

function expectEveryOption(usage: string, options: Record<string, unknown>, command: string): void {
  for (const name of Object.keys(options)) {
    if (UNLISTED.has(name)) continue
    expect(usage, `--${name} in ${command} --help`).toMatch(new RegExp(`--${name}\\b`))
  }
}

describe('command usage texts', () => {
  it('emit --help lists every option and every status', () => {
    expectEveryOption(EMIT_USAGE, EMIT_OPTIONS, 'emit')
    for (const status of taskStatusSchema.options) expect(EMIT_USAGE, `status ${status}`).toContain(status)
  })

  it('exec --help lists every option', () => {
    expectEveryOption(EXEC_USAGE, EXEC_OPTIONS, 'exec')
  })

  it('hook --help lists every option of hook and of hook install', () => {
    expectEveryOption(HOOK_USAGE, HOOK_OPTIONS, 'hook')
    expectEveryOption(HOOK_USAGE, INSTALL_OPTIONS, 'hook (install)')
  })

  it('schedule --help lists every option', () => {
    expectEveryOption(SCHEDULE_USAGE, SCHEDULE_OPTIONS, 'schedule')
  })
})
