/** Focus is in a text field or a select: single-key shortcuts (/, 1–4, Escape, …) leave it alone. */
export function isTyping(el: Element | null): boolean {
  return (
    !!el &&
    (el.tagName === 'INPUT' ||
      el.tagName === 'TEXTAREA' ||
      el.tagName === 'SELECT' ||
      (el as HTMLElement).isContentEditable)
  )
}
