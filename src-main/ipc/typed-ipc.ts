// Main's two ends of the IPC contract (src-shared/ipc-contract.ts), typed from it: `handleInvoke`
// registers the handler of one call, `sendPush` sends one event to a window. Channels are looked up
// by name in the contract; no channel string is written anywhere else in main.
import type { z } from 'zod'
import {
  invokeContract,
  pushContract,
  type InvokeArgs,
  type InvokeName,
  type InvokeResult,
  type IpcResult,
  type PushName,
  type PushPayload,
} from '../../src-shared/ipc-contract'
import type { IpcMainInvokeEventLike, IpcMainLike, WebContentsLike } from '../electron-types'

export type InvokeHandler<K extends InvokeName> = (
  ...args: InvokeArgs<K>
) => InvokeResult<K> | Promise<InvokeResult<K>>

export interface HandleOptions {
  ipcMain: IpcMainLike
  /** Whether a frame at this URL is the app's own page. */
  isTrustedSender: (frameUrl: string) => boolean
  log: { warn(obj: object, msg?: string): void }
}

/** Registers one call: the sender frame is checked, the arguments parsed with `args`, and the
 * answer (or the error's message) returned as an IpcResult. Returns the unregister. */
export function handleInvoke<K extends InvokeName>(
  opts: HandleOptions,
  name: K,
  args: z.ZodType<InvokeArgs<K>>,
  fn: InvokeHandler<K>,
): () => void {
  const { channel } = invokeContract[name]
  opts.ipcMain.handle(
    channel,
    async (event: IpcMainInvokeEventLike, ...raw: unknown[]): Promise<IpcResult<InvokeResult<K>>> => {
      const url = event.senderFrame?.url ?? ''
      if (!opts.isTrustedSender(url)) {
        opts.log.warn({ channel, url }, 'IPC from an untrusted sender refused')
        return { ok: false, error: 'forbidden: untrusted sender' }
      }
      const parsed = args.safeParse(raw)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        return {
          ok: false,
          error: `invalid payload: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'rejected'}`,
        }
      }
      try {
        return { ok: true, value: await fn(...parsed.data) }
      } catch (err) {
        return { ok: false, error: (err as Error).message || 'failed' }
      }
    },
  )
  return () => opts.ipcMain.removeHandler(channel)
}

/** Sends one event of the contract to a window's page. */
export function sendPush<K extends PushName>(
  webContents: Pick<WebContentsLike, 'send'>,
  name: K,
  payload: PushPayload<K>,
): void {
  webContents.send(pushContract[name].channel, payload)
}
