// Render counting for component tests with React's own <Profiler>, instead of probes inside the
// components: `profiled(Row, idOf, onRender)` is Row with a Profiler placed inside Row's memo
// boundary (when Row is memoised, with Row's own comparison), so onRender reports exactly the
// commits in which Row itself rendered — and a Row that lost its memo() shows up as extra renders.
import { Profiler, createElement, memo, type FunctionComponent, type ProfilerOnRenderCallback } from 'react'

interface MemoLike<P> {
  $$typeof?: symbol
  type?: FunctionComponent<P>
  compare?: ((a: P, b: P) => boolean) | null
}

export function profiled<P extends object>(
  component: FunctionComponent<P> | object,
  idOf: (props: P) => string,
  onRender: ProfilerOnRenderCallback,
): FunctionComponent<P> {
  const m = component as MemoLike<P>
  const isMemo = m.$$typeof === Symbol.for('react.memo')
  const inner = (isMemo ? m.type : component) as FunctionComponent<P>
  const Profiled: FunctionComponent<P> = (props) =>
    createElement(Profiler, { id: idOf(props), onRender }, createElement(inner, props))
  return isMemo ? memo(Profiled, m.compare ?? undefined) : Profiled
}
