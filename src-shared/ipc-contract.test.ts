// The IPC contract: one bridge member per entry, each reaching its own channel; an argument
// schema for every call; channel names unique and namespaced.
import { describe, expect, it } from 'vitest'
import { invokeArgsSchemas } from './ipc'
import { createDesktopApi, invokeContract, pushContract, type InvokeName } from './ipc-contract'

describe('IPC contract', () => {
  it('the bridge has exactly one member per call and per push event', () => {
    const api = createDesktopApi({ invoke: async () => null, subscribe: () => () => {} })
    expect(Object.keys(api).sort()).toEqual(
      [...Object.keys(invokeContract), ...Object.keys(pushContract)].sort(),
    )
  })

  it('a call goes to its channel with its arguments; a subscription to its channel', async () => {
    const invoked: [string, unknown[]][] = []
    const subscribed: string[] = []
    let unsubscribed = 0
    const api = createDesktopApi({
      invoke: async (channel, args) => {
        invoked.push([channel, args])
        return { ok: true, value: null }
      },
      subscribe: (channel) => {
        subscribed.push(channel)
        return () => void (unsubscribed += 1)
      },
    })
    await api.setSettings({ app: { closeToTray: false } })
    await api.getSettings()
    const off = api.onBackendStatus(() => {})
    off()
    expect(invoked).toEqual([
      ['settings:set', [{ app: { closeToTray: false } }]],
      ['settings:get', []],
    ])
    expect(subscribed).toEqual(['backend:status-changed'])
    expect(unsubscribed).toBe(1)
  })

  it('every call has an argument schema, and channels are unique and namespaced', () => {
    expect(Object.keys(invokeArgsSchemas).sort()).toEqual(Object.keys(invokeContract).sort())
    for (const name of Object.keys(invokeContract) as InvokeName[])
      expect(invokeArgsSchemas[name].safeParse(['unexpected', 'extra', 'args']).success).toBe(false)
    const channels = [...Object.values(invokeContract), ...Object.values(pushContract)].map((s) => s.channel)
    expect(new Set(channels).size).toBe(channels.length)
    for (const c of channels) expect(c).toMatch(/^[a-z]+:[a-z-]+$/)
  })
})
