// Logs as people read them: which lines of an output or error text report a failure, so the
// detail can mark them (a gutter glyph and a word for screen readers, not colour alone).

/** Words that make a line an error line: error/exception/traceback/failed/panic and kin, plus
 * Java/Python-style class names ending in Error or Exception ("java.lang.OutOfMemoryError"). */
const ERROR_WORDS =
  /\b(?:errors?|exceptions?|traceback|failed|failures?|fail|panic(?:ked)?|fatal|segmentation fault)\b|[a-z](?:Error|Exception)\b/i
/** "0 failed", "0 errors": a test summary that reports none is not an error line. */
const NONE_REPORTED = /\b(?:0|no) (?:errors?|failed|failures?|exceptions?)\b/gi

export function isErrorLine(line: string): boolean {
  if (!ERROR_WORDS.test(line)) return false
  return ERROR_WORDS.test(line.replace(NONE_REPORTED, ''))
}

export interface LogLine {
  text: string
  error: boolean
}

/** The text split in lines, each marked. */
export function logLines(text: string): LogLine[] {
  return text.split('\n').map((line) => ({ text: line, error: isErrorLine(line) }))
}
