// Marks the search words in a piece of text with <mark>. The text is rendered as text nodes, never
// as HTML, so a task title such as "<img onerror=…>" stays a title.
import { Fragment, memo, useMemo } from 'react'
import { useSearchWords } from '../stores/search-store'
import './Highlight.css'

export interface TextPart {
  text: string
  marked: boolean
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

const COMBINING_MARKS = /\p{M}/gu

/** A word or text with its accents taken off ("Café" → "Cafe"), as the server's index folds them. */
function foldWord(w: string): string {
  return w.normalize('NFD').replace(COMBINING_MARKS, '')
}

/**
 * `text` folded, with the index in `text` where each folded code unit came from (plus the end), so
 * a match in the folded text maps back to the characters it covers. Null when there is nothing to
 * fold (plain ASCII: the common case, no copy made).
 */
function foldText(text: string): { folded: string; from: number[] } | null {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(text)) return null
  let folded = ''
  const from: number[] = []
  for (let i = 0; i < text.length;) {
    const len = text.codePointAt(i)! > 0xffff ? 2 : 1
    const f = foldWord(text.slice(i, i + len))
    for (let k = 0; k < f.length; k++) from.push(i)
    folded += f
    i += len
  }
  from.push(text.length)
  return { folded, from }
}

/**
 * Splits `text` into marked and plain parts: every occurrence of every word, case-insensitive
 * (Unicode simple case folding) and accent-insensitive ("cafe" marks "Café", as the server finds
 * it), overlapping occurrences joined into one mark ("abc" and "bcd" in "abcd" mark "abcd"). Words
 * are literal text: regex characters in them mean themselves.
 */
export function highlightParts(text: string, words: readonly string[]): TextPart[] {
  if (!text || words.length === 0) return text ? [{ text, marked: false }] : []
  const fold = foldText(text)
  const hay = fold ? fold.folded : text
  const ranges: [number, number][] = []
  for (const word of words) {
    const w = foldWord(word)
    if (!w) continue
    const re = new RegExp(escapeRegExp(w), 'giu')
    let m: RegExpExecArray | null
    while ((m = re.exec(hay)) !== null) {
      const s = m.index
      const e = m.index + m[0].length
      ranges.push(fold ? [fold.from[s]!, nextStart(fold.from, e)] : [s, e])
      // Step one code point past the start, not past the match: "aa" in "aaa" is found twice.
      re.lastIndex = m.index + (hay.codePointAt(m.index)! > 0xffff ? 2 : 1)
    }
  }
  if (ranges.length === 0) return [{ text, marked: false }]
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const parts: TextPart[] = []
  let pos = 0
  let [start, end] = ranges[0]!
  const flush = () => {
    if (start > pos) parts.push({ text: text.slice(pos, start), marked: false })
    parts.push({ text: text.slice(start, end), marked: true })
    pos = end
  }
  for (let i = 1; i < ranges.length; i++) {
    const [s, e] = ranges[i]!
    if (s <= end) end = Math.max(end, e)
    else {
      flush()
      start = s
      end = e
    }
  }
  flush()
  if (pos < text.length) parts.push({ text: text.slice(pos), marked: false })
  return parts
}

/** The end in the original text of a folded match ending before folded unit `e`. */
function nextStart(from: readonly number[], e: number): number {
  // The original character of unit e-1 ends where the next original character starts.
  const last = from[e - 1]!
  let k = e
  while (k < from.length - 1 && from[k] === last) k++
  return from[k]!
}

/** Whether some word occurs in `text` (case-insensitive), without splitting it. */
export function containsWord(text: string, words: readonly string[]): boolean {
  return words.some((w) => w !== '' && new RegExp(escapeRegExp(w), 'iu').test(text))
}

/**
 * A one-line excerpt of `text` (whitespace folded) of at most `max` characters that shows the
 * first search word: a long error whose match sits deep inside is cut around it, with "…" at the
 * cut ends. Without a match, the start of the text.
 */
export function excerptAround(text: string | null, words: readonly string[], max = 160): string {
  if (!text) return ''
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat.length <= max) return flat
  let at = -1
  let pos = 0
  for (const p of highlightParts(flat, words)) {
    if (p.marked) {
      at = pos
      break
    }
    pos += p.text.length
  }
  // No match, or one that shows in the start anyway.
  if (at < 0 || at + 20 < max) return flat.slice(0, max - 1) + '…'
  const start = Math.max(0, Math.min(at - Math.floor(max / 3), flat.length - max + 1))
  const end = start + max - 2
  return '…' + flat.slice(start, end) + (end < flat.length ? '…' : '')
}

/**
 * `text` with the current search words marked. `words` overrides the search box's words (for a
 * caller that highlights something else, and for tests).
 */
export const Highlight = memo(function Highlight({
  text,
  words,
}: {
  text: string | null | undefined
  words?: readonly string[]
}) {
  const searchWords = useSearchWords()
  const use = words ?? searchWords
  const parts = useMemo(() => highlightParts(text ?? '', use), [text, use])
  if (parts.length === 1 && !parts[0]!.marked) return <>{parts[0]!.text}</>
  return (
    <>
      {parts.map((p, i) =>
        p.marked ? (
          <mark key={i} className="hl">
            {p.text}
          </mark>
        ) : (
          <Fragment key={i}>{p.text}</Fragment>
        ),
      )}
    </>
  )
})
