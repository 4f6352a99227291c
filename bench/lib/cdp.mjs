// Chrome DevTools Protocol helpers for the ui-scale bench: JS heap, a main-thread trace summary
// (what the renderer did inside long tasks: script, style, layout, paint, GC) and a CPU profile's
// top functions by self time. These are the "profile says why" of a missed goal.

/** JS heap in MB after a full GC (collectGarbage first) or as it stands. */
export async function heapMb(cdp, { gc = false } = {}) {
  if (gc) await cdp.send('HeapProfiler.collectGarbage')
  const { usedSize, totalSize } = await cdp.send('Runtime.getHeapUsage')
  return { used: +(usedSize / 2 ** 20).toFixed(1), total: +(totalSize / 2 ** 20).toFixed(1) }
}

export async function startTrace(cdp) {
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute',
    transferMode: 'ReturnAsStream',
  })
}

/** Ends a trace and summarises the renderer main thread: busy time, and by event name. */
export async function endTrace(cdp) {
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r))
  await cdp.send('Tracing.end')
  const { stream } = await done
  const chunks = []
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream, size: 1 << 20 })
    chunks.push(chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data)
    if (chunk.eof) break
  }
  await cdp.send('IO.close', { handle: stream })
  const parsed = JSON.parse(chunks.join(''))
  const events = (Array.isArray(parsed) ? parsed : parsed.traceEvents).filter(
    (e) => e.ph === 'X' && typeof e.dur === 'number',
  )
  const byThread = new Map()
  for (const e of events) {
    const k = `${e.pid}:${e.tid}`
    if (!byThread.has(k)) byThread.set(k, [])
    byThread.get(k).push(e)
  }
  // The renderer main thread: the one with the most FunctionCall events.
  let main = null
  let best = -1
  for (const [k, list] of byThread) {
    const n = list.filter((e) => e.name === 'FunctionCall').length
    if (n > best) [best, main] = [n, k]
  }
  if (!main) return null
  const list = byThread.get(main).sort((a, b) => a.ts - b.ts)
  const tasks = list.filter((e) => e.name === 'RunTask')
  const total = new Map()
  const inLong = new Map()
  let longCount = 0
  let j = 0
  for (const t of tasks) {
    const long = t.dur > 50_000
    if (long) longCount++
    while (j < list.length && list[j].ts < t.ts) j++
    for (let k = j; k < list.length && list[k].ts <= t.ts + t.dur; k++) {
      const e = list[k]
      if (e === t || e.name === 'RunTask' || e.ts + e.dur > t.ts + t.dur) continue
      total.set(e.name, (total.get(e.name) ?? 0) + e.dur / 1000)
      if (long) inLong.set(e.name, (inLong.get(e.name) ?? 0) + e.dur / 1000)
    }
  }
  const top = (m) =>
    Object.fromEntries(
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([k, v]) => [k, Math.round(v)]),
    )
  return {
    tasks: tasks.length,
    busy_ms: Math.round(tasks.reduce((a, t) => a + t.dur / 1000, 0)),
    long_tasks: longCount,
    // Nested events overlap (FunctionCall contains its own GC and layout): read as "where", not a sum.
    by_event_ms: top(total),
    inside_long_tasks_ms: top(inLong),
  }
}

export async function startProfile(cdp) {
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 })
  await cdp.send('Profiler.start')
}

/** Stops the CPU profile: the top functions by self time (minified names, with file:line:col). */
export async function endProfile(cdp, topN = 15) {
  const { profile } = await cdp.send('Profiler.stop')
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    const f = byId.get(profile.samples[i]).callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}:${f.columnNumber}`
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([fn, ms]) => ({ fn, self_ms: Math.round(ms) }))
}
