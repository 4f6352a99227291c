// Stops a server whose launcher went away. `npx taskpulse serve` and `npm run serve` run it as
// npm → sh → node: a SIGTERM to npm ends npm and sh but never reaches node, and npm killed
// outright (SIGKILL) leaves sh waiting on node, so node's own parent does not even change. Node
// cannot ask the kernel for a parent-death signal (prctl PR_SET_PDEATHSIG), and stdin is no
// witness (often /dev/null, or a terminal that outlives the launcher).
//
// So the whole chain of ancestors is watched, as it was at start: on Linux each ancestor by pid
// and start time from /proc/<pid>/stat (a pid reused by another program has another start time),
// up to init; elsewhere only our own parent pid (an orphan is re-parented to init or a
// subreaper). Any of them gone means whoever launched us is gone. A few small reads per tick.
import { readFileSync } from 'node:fs'

export interface ParentWatch {
  stop(): void
}

interface ProcStat {
  state: string
  ppid: number
  startTime: string
}

function readProcStat(pid: number): ProcStat | null {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may contain spaces or ')'.
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0] ?? '', ppid: Number(fields[1]), startTime: fields[19] ?? '' }
  } catch {
    return null
  }
}

interface Ancestor {
  pid: number
  startTime: string
}

/** Our ancestors below init, nearest first (at most `depth`); null where /proc is not available. */
function ancestors(depth: number): Ancestor[] | null {
  if (!readProcStat(process.pid)) return null
  const chain: Ancestor[] = []
  let pid = process.ppid
  while (pid > 1 && chain.length < depth) {
    const stat = readProcStat(pid)
    if (!stat) break
    chain.push({ pid, startTime: stat.startTime })
    pid = stat.ppid
  }
  return chain
}

const isGone = (a: Ancestor): boolean => {
  const stat = readProcStat(a.pid)
  return !stat || stat.state === 'Z' || stat.state === 'X' || stat.startTime !== a.startTime
}

/**
 * Calls `onGone` once, with the pid that went away, when our parent or (with `wholeChain`) any
 * ancestor exits. The desktop app's backend watches only its parent, the app itself: a launcher
 * above it that exits early is no reason to stop.
 */
export function watchParent(
  onGone: (goneAncestorPid: number) => void,
  opts: { wholeChain: boolean; everyMs?: number },
): ParentWatch {
  const originalPpid = process.ppid
  const chain = ancestors(opts.wholeChain ? 64 : 1)
  const timer = setInterval(() => {
    let gone: number | undefined
    if (process.ppid !== originalPpid) gone = originalPpid
    else gone = chain?.find(isGone)?.pid
    if (gone === undefined) return
    clearInterval(timer)
    onGone(gone)
  }, opts.everyMs ?? 250)
  // Never what keeps the process alive: a server that closed everything else exits.
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
