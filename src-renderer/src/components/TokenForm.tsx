// Paste a token to connect with (a browser page; the desktop app sets its token in Settings):
// the no-token gate and Settings both offer it.
import { useState } from 'react'
import { useParts } from '../stores/context'

export function TokenForm({ inputLabel, visibleLabel }: { inputLabel: string; visibleLabel?: string }) {
  const { connection } = useParts()
  const [token, setToken] = useState('')
  const input = (
    <input
      type="password"
      value={token}
      onChange={(e) => setToken(e.target.value)}
      aria-label={inputLabel}
      placeholder={visibleLabel ? undefined : inputLabel}
      autoComplete="off"
    />
  )
  return (
    <form
      className="token-form"
      onSubmit={(e) => {
        e.preventDefault()
        if (!token.trim()) return
        connection.setToken(token.trim())
        setToken('')
      }}
    >
      {visibleLabel ? (
        <label>
          <span>{visibleLabel}</span>
          {input}
        </label>
      ) : (
        input
      )}
      <button type="submit" className="btn">
        Connect
      </button>
    </form>
  )
}
