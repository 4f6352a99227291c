// Small text formatters shared by the views.
export function formatAgo(deltaMs: number): string {
  const s = Math.max(0, Math.round(deltaMs / 1000))
  if (s < 60) return `${s}s ago`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ago`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h ${m % 60}m ago`
  return `${Math.floor(h / 24)}d ago`
}

// Intl formatters are expensive to create (toLocaleString builds one per call); make them once.
const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })

export function formatDateTime(iso: string | null): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return DATE_TIME.format(d)
}

export function formatClock(ms: number): string {
  return CLOCK.format(ms)
}

/** First line-ish of a long text, for one-line excerpts. */
export function excerpt(text: string | null, max = 140): string {
  if (!text) return ''
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat
}

/**
 * The END of a long text on one line, for excerpts in rows and cards: a log's last lines are where
 * the failure is, so the start is what gets cut ("…" in front).
 */
export function tailExcerpt(text: string | null, max = 140): string {
  if (!text) return ''
  // Only the last part can show: flatten just that (a 2 KiB tail, or a whole 29 KB log).
  const flat = text
    .slice(-(max * 4))
    .replace(/\s+/g, ' ')
    .trim()
  return flat.length > max || text.length > max * 4 ? '…' + flat.slice(-(max - 1)) : flat
}
