// The in-page instrumentation of the ui-scale bench, injected before the app's scripts
// (page.addInitScript). It watches; it never changes what the app does. Everything is timed with
// the page's own clock (performance.now(), ms since navigation start).
//
//   load:    snapshot pages received (first / last, bytes), the first task row in the DOM (and the
//            frame after it: "visible"), the moment the task count shows the whole snapshot
//   windows: between start() and stop(): requestAnimationFrame deltas, long tasks, socket-to-DOM
//            latency (an update's event_id appearing on an element's data-event-id, the existing
//            ui-bench's method) and socket-to-next-DOM-mutation (for views whose elements carry
//            no event id: month totals, project cards)
//   search:  armSearch(expected): the input event's time → the first DOM state whose rows are all
//            among the expected results
//
// The probe is a function serialised into the page; its argument is the bench's config.

/** @param {{ rowSelector: string, countSelector: string, expectedTasks: number, mainSelector: string, liveEventPrefix?: string }} cfg */
function probe(cfg) {
  const now = () => performance.now()
  const p = {
    cfg,
    snapshot: { firstPageAt: null, lastPageAt: null, pages: 0, bytes: 0 },
    firstRowAt: null,
    firstRowFrameAt: null,
    countMatchedAt: null,
    firstMutationAfterLastPage: null,
    longTasks: [],
    win: null,
    search: null,
    lastInputAt: null,
    lastMainMutationAt: null,
  }
  window.__uiScale = p
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) p.longTasks.push({ start: e.startTime, duration: e.duration })
    }).observe({ type: 'longtask', buffered: true })
  } catch {
    p.longTasksUnsupported = true
  }
  document.addEventListener('input', () => (p.lastInputAt = now()), true)

  const EVENT_ID = /"event_id":"([^"]+)"/g
  const Native = window.WebSocket
  window.WebSocket = class extends Native {
    constructor(...a) {
      super(...a)
      if (p.win) p.win.socketsOpened++
      this.addEventListener('message', (ev) => {
        const t = now()
        const d = ev.data
        if (typeof d !== 'string') return
        if (d.startsWith('{"type":"snapshot"')) {
          const s = p.snapshot
          if (s.firstPageAt === null || s.lastPageAt !== null) {
            // A page after a last page starts a new snapshot (docs/protocol.md).
            if (s.lastPageAt !== null) Object.assign(s, { pages: 0, bytes: 0, lastPageAt: null })
            s.firstPageAt = s.firstPageAt ?? t
          }
          s.pages++
          s.bytes += d.length
          // The last page says "more":false near its end; absent `more` = a whole snapshot.
          const tail = d.slice(-64)
          if (tail.includes('"more":false') || !d.includes('"more":')) s.lastPageAt = t
          return
        }
        const w = p.win
        if (!w || !d.includes('"task_status_update"')) return
        w.received++
        // The backend's own updates (a stale mark as a seeded task's silence crosses its
        // threshold, an ack) arrive too: the bench's are told apart by their event id. A frame's
        // first event id is its own (the task's `last_event_id` never matches `"event_id"`).
        const id = /"event_id":"([^"]+)"/.exec(d)?.[1] ?? '?'
        const live = cfg.liveEventPrefix
        if (live !== undefined && id.startsWith(live)) {
          // A socket that reconnects may be sent again what it had not yet confirmed.
          if (w.liveIds.has(id)) w.duplicates++
          else w.liveIds.add(id)
        } else if (w.otherEventIds.length < 20) w.otherEventIds.push(id)
        w.pendingNext.push(t)
        EVENT_ID.lastIndex = 0
        for (let m; (m = EVENT_ID.exec(d));) w.recv.set(m[1], t)
      })
    }
  }

  const seen = (id, t) => {
    const w = p.win
    const r = w.recv.get(id)
    if (r === undefined) return
    w.recv.delete(id)
    w.lat.push(t - r)
  }
  const inMain = (main, node) => !!main && main.contains(node.nodeType === 1 ? node : node.parentNode)
  const afterFrame = (fn) => requestAnimationFrame(() => fn(now()))

  const onMutations = (muts) => {
    const t = now()
    if (p.firstRowAt === null && document.querySelector(cfg.rowSelector)) {
      p.firstRowAt = t
      afterFrame((f) => (p.firstRowFrameAt = f))
    }
    const s = p.snapshot
    if (s.lastPageAt !== null && p.firstMutationAfterLastPage === null) p.firstMutationAfterLastPage = t
    if (p.countMatchedAt === null && s.firstPageAt !== null) {
      const c = document.querySelector(cfg.countSelector)
      if (c && c.textContent.replace(/[^0-9]/g, '') === String(cfg.expectedTasks)) p.countMatchedAt = t
    }
    const main = document.querySelector(cfg.mainSelector)
    const touchedMain = muts.some((m) => inMain(main, m.target))
    if (touchedMain) p.lastMainMutationAt = t
    const w = p.win
    if (w) {
      if (w.pendingNext.length && touchedMain) {
        for (const r of w.pendingNext) w.nextMut.push(t - r)
        w.pendingNext.length = 0
      }
      if (w.recv.size)
        for (const m of muts) {
          if (m.type === 'attributes') seen(m.target.getAttribute('data-event-id'), t)
          else
            for (const n of m.addedNodes) {
              if (n.nodeType !== 1) continue
              if (n.hasAttribute('data-event-id')) seen(n.getAttribute('data-event-id'), t)
              for (const e of n.querySelectorAll('[data-event-id]')) seen(e.getAttribute('data-event-id'), t)
            }
        }
    }
    const q = p.search
    if (q && q.shownAt === null && p.lastInputAt !== null && p.lastInputAt >= q.armedAt) {
      if (q.firstChangeAt === null) q.firstChangeAt = t
      const rows = document.querySelectorAll(cfg.rowSelector)
      let ok = rows.length > 0
      for (const r of rows)
        if (!q.expected.has(r.getAttribute('data-event-id'))) {
          ok = false
          break
        }
      if (ok) {
        q.shownAt = t
        q.inputAt = p.lastInputAt
        q.rows = rows.length
        afterFrame((f) => (q.shownFrameAt = f))
      }
    }
  }
  const mo = new MutationObserver(onMutations)
  const startObserving = () =>
    mo.observe(document.documentElement, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-event-id'],
      characterData: true,
    })
  if (document.documentElement) startObserving()
  else document.addEventListener('DOMContentLoaded', startObserving)

  /** Starts a measurement window: frames, long tasks, socket-to-DOM. */
  p.start = () => {
    const w = {
      startedAt: now(),
      received: 0,
      liveIds: new Set(),
      duplicates: 0,
      socketsOpened: 0,
      otherEventIds: [],
      recv: new Map(),
      lat: [],
      pendingNext: [],
      nextMut: [],
      frames: [],
      running: true,
    }
    p.win = w
    let last = null
    const tick = (ts) => {
      if (!w.running) return
      if (last !== null) w.frames.push(ts - last)
      last = ts
      requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  }
  /** The bench's own updates received so far in the open window (distinct event ids). */
  p.liveReceived = () => p.win?.liveIds.size ?? 0
  p.stop = () => {
    const w = p.win
    p.win = null
    w.running = false
    const end = now()
    return {
      durationMs: end - w.startedAt,
      received: w.received,
      receivedLive: w.liveIds.size,
      duplicates: w.duplicates,
      socketsOpened: w.socketsOpened,
      otherEventIds: w.otherEventIds,
      unseen: w.recv.size,
      lat: w.lat,
      nextMut: w.nextMut,
      frames: w.frames,
      longTasks: p.longTasks.filter((l) => l.start >= w.startedAt && l.start < end),
      domNodes: document.getElementsByTagName('*').length,
    }
  }
  /** Arms the search watch: results are shown when every row is one of `expectedEventIds`. */
  p.armSearch = (expectedEventIds) => {
    p.search = {
      armedAt: now(),
      expected: new Set(expectedEventIds),
      firstChangeAt: null,
      shownAt: null,
      shownFrameAt: null,
      inputAt: null,
      rows: 0,
    }
  }
}

/** The init script for page.addInitScript. */
export function probeScript(cfg) {
  return `(${probe.toString()})(${JSON.stringify(cfg)})`
}
