// Stops a server whose parent went away. `npx taskpulse serve` and `npm run serve` run it as
// npm → sh → node: a SIGTERM to npm, or npm killed outright, ends npm and sh but never reaches
// node, which would keep serving and hold its port as an orphan. Node cannot ask the kernel for a
// parent-death signal (prctl PR_SET_PDEATHSIG), and stdin is no witness (often /dev/null, or
// shared with a terminal that outlives the parent). What does change, always, is the parent pid:
// an orphan is re-parented to init or to the nearest subreaper. Polling process.ppid (a live
// getppid()) is one cheap syscall per tick.

export interface ParentWatch {
  stop(): void
}

export function watchParent(onParentGone: (oldPpid: number) => void, everyMs = 250): ParentWatch {
  const original = process.ppid
  const timer = setInterval(() => {
    if (process.ppid === original) return
    clearInterval(timer)
    onParentGone(original)
  }, everyMs)
  // Never what keeps the process alive: a server that closed everything else exits.
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
