// Buffers items and hands them over in one call at most once per animation frame, so a burst of
// socket messages costs one store update and one render. rAF does not run in hidden tabs; a timer
// backs it up so the buffer cannot grow without bound while the window is in the background.
export type Schedule = (run: () => void) => void

export interface FrameBatcher<T> {
  push(item: T): void
  /** Applies what is buffered now (tests; and before a snapshot replaces everything). */
  flush(): void
  pending(): number
}

export function createFrameBatcher<T>(apply: (items: T[]) => void, schedule: Schedule): FrameBatcher<T> {
  let buffer: T[] = []
  let scheduled = false
  const flush = (): void => {
    scheduled = false
    if (buffer.length === 0) return
    const items = buffer
    buffer = []
    apply(items)
  }
  return {
    push(item) {
      buffer.push(item)
      if (!scheduled) {
        scheduled = true
        schedule(flush)
      }
    },
    flush,
    pending: () => buffer.length,
  }
}

/** Runs once at the next animation frame, or after `fallbackMs` if frames are not coming. */
export function animationFrameSchedule(fallbackMs = 250): Schedule {
  return (run) => {
    let done = false
    const once = (): void => {
      if (done) return
      done = true
      run()
    }
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(once)
    setTimeout(once, fallbackMs)
  }
}

/**
 * At most one run per frame, with a leading edge: when nothing ran during the last frame, run in
 * the next task (a message on a MessageChannel, no timer clamping) instead of waiting up to a whole
 * frame for rAF; otherwise wait for the next animation frame. Under a steady stream this is still
 * one batch per frame; a lone update after a quiet spell reaches the DOM within a millisecond or
 * two instead of ~8 ms on average, and is painted in the same frame either way.
 */
export function frameThrottleSchedule(
  opts: { frameMs?: number; now?: () => number; frame?: Schedule } = {},
): Schedule {
  const frameMs = opts.frameMs ?? 16
  const rafSchedule = opts.frame ?? animationFrameSchedule()
  const now = opts.now ?? (() => performance.now())
  let lastRun = -Infinity
  let channel: MessageChannel | null = null
  let next: (() => void) | null = null
  if (typeof MessageChannel === 'function') {
    channel = new MessageChannel()
    channel.port1.onmessage = () => {
      const run = next
      next = null
      run?.()
    }
  }
  return (run) => {
    const timed = () => {
      lastRun = now()
      run()
    }
    if (channel && now() - lastRun >= frameMs) {
      next = timed
      channel.port2.postMessage(null)
    } else rafSchedule(timed)
  }
}
