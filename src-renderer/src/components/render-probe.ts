// Counts renders of list rows when a test asks for it (globalThis.__TASKPULSE_RENDERS__ is a Map),
// so tests can prove that one task's change re-renders only the rows that show it. One property
// read per render otherwise.
export function countRender(kind: string, key: string): void {
  const counts = (globalThis as { __TASKPULSE_RENDERS__?: Map<string, number> }).__TASKPULSE_RENDERS__
  if (counts) counts.set(`${kind}:${key}`, (counts.get(`${kind}:${key}`) ?? 0) + 1)
}
