// fast-check settings shared by the fuzz files: one seed (FUZZ_SEED replays a run) and one scale
// (FUZZ_RUNS_SCALE=10 for a long soak).
import type fc from 'fast-check'

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261201)
export const FUZZ_RUNS_SCALE = Number(process.env.FUZZ_RUNS_SCALE ?? 1)

/**
 * fc.assert parameters for an entry of `n` runs. No shrinking: after a crash every later run fails
 * too (the server is gone), so shrinking would report some harmless input; the first failing input
 * is the one that matters, and the seed replays it.
 */
export const fuzzParams = (n: number): fc.Parameters<unknown> => ({
  seed: FUZZ_SEED,
  numRuns: Math.max(1, Math.round(n * FUZZ_RUNS_SCALE)),
  endOnFailure: true,
})
