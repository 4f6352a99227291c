// The real timer behind the injectable `setTimer` of the main-process modules (window, backend
// supervisor, notifications, state store): tests pass a fake clock instead.

/** Runs `fn` after `ms`; the returned function cancels it. */
export type SetTimer = (fn: () => void, ms: number) => () => void

export const realSetTimer: SetTimer = (fn, ms) => {
  const t = setTimeout(fn, ms)
  return () => clearTimeout(t)
}
