// Buffers items and hands them over in one call per animation frame, so a burst of socket
// messages costs one store update and one render. rAF does not run in hidden tabs; a timer
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
