// The search's words marked in a text (<mark>), for the calendar until the shared <Highlight>
// (components/Highlight.tsx, search branch) is merged.
import { memo } from 'react'
import { queryWords } from './filters'

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export const Marked = memo(function Marked({ text, query }: { text: string; query: string }) {
  const words = queryWords(query)
  if (words.length === 0) return <>{text}</>
  const re = new RegExp(`(${words.map(escape).join('|')})`, 'gi')
  const parts = text.split(re)
  return <>{parts.map((part, i) => (i % 2 === 1 ? <mark key={i}>{part}</mark> : part))}</>
})
