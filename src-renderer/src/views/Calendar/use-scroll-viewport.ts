// The scroll position and height of a virtualised list's scroller, for visibleRows(): the
// timeline's rows and the agenda's both window themselves from it.
import { useLayoutEffect, useState, type RefObject } from 'react'

export function useScrollViewport(bodyRef: RefObject<HTMLElement | null>) {
  const [scrollTop, setScrollTop] = useState(0)
  const [viewport, setViewport] = useState(600)
  useLayoutEffect(() => {
    const el = bodyRef.current
    if (!el) return
    const measure = () => setViewport(el.clientHeight || 600)
    measure()
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(measure)
    ro?.observe(el)
    return () => ro?.disconnect()
  }, [bodyRef])
  return { scrollTop, setScrollTop, viewport }
}
