// Copies text to the clipboard and says so.
import { useState } from 'react'

export function CopyButton({
  text,
  label = 'Copy',
  ariaLabel,
}: {
  text: string
  label?: string
  ariaLabel?: string
}) {
  const [done, setDone] = useState<'idle' | 'ok' | 'fail'>('idle')
  const copy = () => {
    // Absent outside a secure context, whatever lib.dom says.
    const clipboard = navigator.clipboard as Clipboard | undefined
    if (!clipboard) return setDone('fail')
    clipboard.writeText(text).then(
      () => setDone('ok'),
      () => setDone('fail'),
    )
    setTimeout(() => setDone('idle'), 1500)
  }
  return (
    <button type="button" className="btn btn-small" onClick={copy} aria-label={ariaLabel ?? label}>
      {done === 'ok' ? 'Copied' : done === 'fail' ? 'Copy failed' : label}
    </button>
  )
}
