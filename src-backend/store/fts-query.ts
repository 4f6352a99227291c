// User text → an FTS5 MATCH expression that can only mean "these words, as prefixes". FTS5 has
// its own query language (AND/OR/NOT/NEAR, `*`, `^`, `col:` filters, parentheses); none of it may
// reach the index from a search box, or a stray quote becomes a 500 and `output:` a column filter.
//
// Each whitespace-separated word becomes one quoted string with every `"` doubled, which FTS5
// reads as a phrase of whatever tokens the tokenizer finds in it, and `*` marks the last token as
// a prefix: `java.lang.OutOfMem` → `"java.lang.OutOfMem"*`, the phrase java lang outofmem*, which
// matches the tokens of "java.lang.OutOfMemoryError". Words are ANDed (FTS5's implicit AND).
//
// A word whose last token is shorter than MIN_PREFIX_CHARS is matched as whole tokens, not as a
// prefix: `1*` expands to every token that starts with 1 (each timestamp, duration and line number
// in every log), which took 1.3 s of CPU at 100,000 tasks, `codex-runner-1*` as long, `10*` 130 ms,
// against 6 ms for a three-character prefix (docs/benchmarks.md "Search"). One or two typed
// characters of a token select almost nothing anyway; from the third on the word is a prefix again.

/** More words than this add nothing a person types; they only make the query slower. */
export const MAX_QUERY_WORDS = 16
/** A word longer than this is cut; a cut prefix still matches (a superset), never an error. */
export const MAX_WORD_CHARS = 128
/** A word's last token shorter than this is not a prefix (see above). */
export const MIN_PREFIX_CHARS = 3

// The characters unicode61 keeps in tokens: letters, numbers (and private use, never typed).
// A word without one is only separators, which would be an empty phrase: dropped.
const TOKEN_CHAR = /[\p{L}\p{N}]/u
const TOKENS = /[\p{L}\p{N}]+/gu

/** The MATCH expression for `text`, or null when it has no word to search for (match nothing). */
export function toFtsQuery(text: string): string | null {
  const words: string[] = []
  // NUL separates words too: SQLite reads the expression as a C string, so a NUL inside a quoted
  // word cut it there ("unterminated string", a 500; found by test/adversarial/new-routes-fuzz).
  for (const raw of text.split(/[\s\0]+/u)) {
    if (words.length >= MAX_QUERY_WORDS) break
    // Cut by code points, not UTF-16 units, so an emoji is never split into a lone surrogate.
    const word = Array.from(raw).slice(0, MAX_WORD_CHARS).join('')
    if (!TOKEN_CHAR.test(word)) continue
    const lastToken = word.match(TOKENS)!.at(-1)!
    const prefix = Array.from(lastToken).length >= MIN_PREFIX_CHARS ? '*' : ''
    const phrase = `"${word.replaceAll('"', '""')}"${prefix}`
    // A repeated word matches the same tasks, but FTS5 reads its doclist again for each copy:
    // 16 × a common word cost 4 × one (test/adversarial/new-routes-floods).
    if (!words.includes(phrase)) words.push(phrase)
  }
  return words.length > 0 ? words.join(' ') : null
}
