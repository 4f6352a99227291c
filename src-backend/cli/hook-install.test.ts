// Merging TaskPulse's hook entries into an agent's settings: idempotent, the user's own hooks left
// alone, uninstall taking out only ours. (The command-line run, with backups, is in
// test/integration/agent-hooks.test.ts.)
import { describe, expect, it } from 'vitest'
import { INSTALLED_EVENTS, isOurCommand, mergeCodexNotify, mergeHookSettings } from './hook-install'

const CMD = "/usr/bin/node '/opt/task pulse/bin/taskpulse.js' hook claude-code"
const userSettings = {
  model: 'opus',
  hooks: {
    PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: '~/bin/guard.sh' }] }],
    Stop: [{ hooks: [{ type: 'command', command: 'say done' }] }],
    PreCompact: [{ hooks: [{ type: 'command', command: 'backup.sh' }] }],
  },
}
type Groups = { matcher?: string; hooks: { command: string }[] }[]
const groupsOf = (s: Record<string, unknown>, event: string) =>
  (s.hooks as Record<string, Groups>)[event] ?? []
const ours = (s: Record<string, unknown>, event: string) =>
  groupsOf(s, event).flatMap((g) => g.hooks.filter((h) => isOurCommand(h.command, 'claude-code')))

describe('hook install', () => {
  it('adds one entry per event and leaves the user settings and hooks intact; twice changes nothing', () => {
    const once = mergeHookSettings(userSettings, 'claude-code', CMD, false)
    const twice = mergeHookSettings(once, 'claude-code', CMD, false)
    expect(twice).toEqual(once)
    for (const event of INSTALLED_EVENTS['claude-code']) expect(ours(twice, event)).toHaveLength(1)
    expect(twice.model).toBe('opus')
    expect(groupsOf(twice, 'PreToolUse')[0]).toEqual(userSettings.hooks.PreToolUse[0])
    expect(groupsOf(twice, 'Stop')[0]).toEqual(userSettings.hooks.Stop[0])
    expect(groupsOf(twice, 'PreCompact')).toEqual(userSettings.hooks.PreCompact)
  })

  it('refreshes a moved install in place instead of adding a second entry', () => {
    const old = mergeHookSettings(userSettings, 'claude-code', '/old/taskpulse.js hook claude-code', false)
    const moved = mergeHookSettings(old, 'claude-code', CMD, false)
    for (const event of INSTALLED_EVENTS['claude-code']) {
      expect(ours(moved, event)).toHaveLength(1)
      expect(ours(moved, event)[0]!.command).toBe(CMD)
    }
  })

  it('uninstall removes only ours and restores the user settings', () => {
    const installed = mergeHookSettings(userSettings, 'claude-code', CMD, false)
    expect(mergeHookSettings(installed, 'claude-code', CMD, true)).toEqual(userSettings)
    expect(mergeHookSettings({}, 'claude-code', CMD, true)).toEqual({})
  })

  it('keeps a user command that shares a group with ours when uninstalling', () => {
    const shared = {
      hooks: {
        Stop: [
          {
            hooks: [
              { type: 'command', command: 'say done' },
              { type: 'command', command: CMD },
            ],
          },
        ],
      },
    }
    expect(mergeHookSettings(shared, 'claude-code', CMD, true)).toEqual({
      hooks: { Stop: [{ hooks: [{ type: 'command', command: 'say done' }] }] },
    })
  })

  it('does not take another tool’s TaskPulse hooks for its own', () => {
    const gemini = mergeHookSettings({}, 'gemini', 'taskpulse hook gemini', false)
    const both = mergeHookSettings(gemini, 'claude-code', CMD, true)
    expect(both).toEqual(gemini)
    // Gemini's timeout is milliseconds.
    expect(
      (gemini.hooks as Record<string, { hooks: { timeout: number }[] }[]>).BeforeTool![0]!.hooks[0]!.timeout,
    ).toBe(5000)
  })

  it('codex: registers every hook event `hook codex` maps, sub-agents included', () => {
    const merged = mergeHookSettings(
      {},
      'codex',
      "/usr/bin/node '/opt/taskpulse/bin/taskpulse.js' hook codex",
      false,
    )
    const events = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse']
    for (const event of [...events, 'SubagentStart', 'SubagentStop', 'Stop'])
      expect(
        groupsOf(merged, event).flatMap((g) => g.hooks.filter((h) => isOurCommand(h.command, 'codex'))),
        event,
      ).toHaveLength(1)
  })

  it('codex notify: added at the top level, refreshed, removed; a user notify is left alone', () => {
    const toml = 'model = "gpt-5"\n\n[mcp_servers.x]\ncommand = "x"\n'
    const args = ['/usr/bin/node', '/opt/taskpulse/bin/taskpulse.js', 'hook', 'codex']
    const added = mergeCodexNotify(toml, args, false).text
    expect(added.split('\n')[0]).toBe(
      `notify = ["/usr/bin/node", "/opt/taskpulse/bin/taskpulse.js", "hook", "codex"]`,
    )
    expect(mergeCodexNotify(added, args, false).text).toBe(added)
    expect(mergeCodexNotify(added, args, true).text).toBe(toml)
    const mine = 'notify = ["python3", "/home/me/notify.py"]\n'
    const r = mergeCodexNotify(mine, args, false)
    expect(r.text).toBe(mine)
    expect(r.note).toMatch(/own notify/)
    expect(mergeCodexNotify(mine, args, true).text).toBe(mine)
  })
})
