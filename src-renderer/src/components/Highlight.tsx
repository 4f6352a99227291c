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

/**
 * Splits `text` into marked and plain parts: every occurrence of every word, case-insensitive
 * (Unicode simple case folding), overlapping occurrences joined into one mark ("abc" and "bcd" in
 * "abcd" mark "abcd"). Words are literal text: regex characters in them mean themselves.
 */
export function highlightParts(text: string, words: readonly string[]): TextPart[] {
  if (!text || words.length === 0) return text ? [{ text, marked: false }] : []
  const ranges: [number, number][] = []
  for (const w of words) {
    if (!w) continue
    const re = new RegExp(escapeRegExp(w), 'giu')
    let m: RegExpExecArray | null
    while ((m = re.exec(text)) !== null) {
      ranges.push([m.index, m.index + m[0].length])
      // Step one code point past the start, not past the match: "aa" in "aaa" is found twice.
      re.lastIndex = m.index + (text.codePointAt(m.index)! > 0xffff ? 2 : 1)
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
