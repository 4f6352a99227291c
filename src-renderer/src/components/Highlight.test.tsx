import { afterEach, describe, expect, it } from 'vitest'
import { act, cleanup, render, waitFor } from '@testing-library/react'
import { Highlight, highlightParts } from './Highlight'
import { makeParts, withParts } from '../../../test/fakes/renderer/parts'
import { makeTask } from '../../../test/fakes/renderer/fake-socket'

afterEach(cleanup)

const marked = (text: string, words: string[]) =>
  highlightParts(text, words)
    .filter((p) => p.marked)
    .map((p) => p.text)

describe('highlightParts', () => {
  it('marks every occurrence, case-insensitive, and keeps the text whole', () => {
    const parts = highlightParts('Disk full: DISK quota', ['disk'])
    expect(parts.map((p) => p.text).join('')).toBe('Disk full: DISK quota')
    expect(marked('Disk full: DISK quota', ['disk'])).toEqual(['Disk', 'DISK'])
  })

  it('treats regex characters in words as text', () => {
    expect(marked('a.b axb (x) [y] $1 a+b', ['a.b'])).toEqual(['a.b'])
    expect(marked('a.b axb (x) [y] $1 a+b', ['(x)', '[y]', '$1', 'a+b'])).toEqual(['(x)', '[y]', '$1', 'a+b'])
    expect(marked('back\\slash .* ^', ['\\', '.*', '^'])).toEqual(['\\', '.*', '^'])
  })

  it('joins overlapping and adjacent words into one mark', () => {
    expect(marked('abcd', ['abc', 'bcd'])).toEqual(['abcd'])
    expect(marked('aaa', ['aa'])).toEqual(['aaa'])
    expect(marked('OutOfMemoryError', ['out', 'outofmemory', 'memory'])).toEqual(['OutOfMemory'])
    expect(marked('foobar', ['foo', 'bar'])).toEqual(['foobar'])
  })

  it('handles Unicode: accents, other scripts, astral characters', () => {
    expect(marked('Été à Zürich', ['été', 'zürich'])).toEqual(['Été', 'Zürich'])
    expect(marked('ΣΊΣΥΦΟΣ σίσυφος', ['σίσυφος'])).toEqual(['ΣΊΣΥΦΟΣ', 'σίσυφος'])
    expect(marked('deploy 🚀🚀 done', ['🚀'])).toEqual(['🚀🚀'])
    expect(marked('日本語のログ', ['ログ'])).toEqual(['ログ'])
  })

  it('ignores accents both ways, as the server index does, and maps marks back to the text', () => {
    expect(marked('Café crème at the café', ['cafe'])).toEqual(['Café', 'café'])
    expect(marked('plain cafe', ['café'])).toEqual(['cafe'])
    // Decomposed: "e" + a combining acute; the mark stays inside the highlight.
    expect(marked('Cafe\u0301 noir', ['cafe'])).toEqual(['Cafe\u0301'])
    expect(marked('Ærø Zürich Straße', ['zurich', 'straße'])).toEqual(['Zürich', 'Straße'])
    // Hangul syllables decompose into several letters: a match covers whole syllables.
    expect(marked('로그 오류', ['오류'])).toEqual(['오류'])
    const parts = highlightParts('naïve café, déjà vu', ['naive', 'deja'])
    expect(parts.map((p) => p.text).join('')).toBe('naïve café, déjà vu')
    expect(parts.filter((p) => p.marked).map((p) => p.text)).toEqual(['naïve', 'déjà'])
  })

  it('no words or no text: the text as it is', () => {
    expect(highlightParts('abc', [])).toEqual([{ text: 'abc', marked: false }])
    expect(highlightParts('', ['a'])).toEqual([])
    expect(highlightParts('abc', ['zz'])).toEqual([{ text: 'abc', marked: false }])
  })
})

describe('<Highlight>', () => {
  it('renders text, never HTML', () => {
    const parts = makeParts()
    const evil = '<img src=x onerror="window.__xss=1"> <b>img</b>'
    const { container } = render(withParts(parts, <Highlight text={evil} words={['img']} />))
    expect(container.querySelector('img')).toBeNull()
    expect(container.querySelector('b')).toBeNull()
    expect(container.textContent).toBe(evil)
    expect(Array.from(container.querySelectorAll('mark')).map((m) => m.textContent)).toEqual(['img', 'img'])
  })

  it('marks the search box words once the search has answered', async () => {
    const parts = makeParts()
    parts.tasks
      .getState()
      .applyBatch([{ kind: 'snapshot', seq: 1, tasks: [makeTask({ task_id: 't', title: 'nightly OOM' })] }])
    const { container } = render(withParts(parts, <Highlight text="nightly OOM in nightly-etl" />))
    expect(container.querySelector('mark')).toBeNull()
    act(() => parts.ui.getState().setSearch('Nightly'))
    // After the debounce, the fake API's 404 and the local match.
    const marks = () => Array.from(container.querySelectorAll('mark')).map((m) => m.textContent)
    await waitFor(() => expect(marks()).toEqual(['nightly', 'nightly']), { timeout: 10_000 })
    expect(container.textContent).toBe('nightly OOM in nightly-etl')
    await act(async () => parts.ui.getState().setSearch(''))
    expect(container.querySelector('mark')).toBeNull()
  })
})
