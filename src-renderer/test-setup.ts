// Setup for the renderer project's tests. Their waits (testing-library's findBy*/waitFor and
// vi.waitFor) default to 1 s, which one stall of a loaded 2-core machine outlasts, while the
// suite must pass on a busy machine. A ceiling for a hung test, never a speed check: 10 s.
import { configure } from '@testing-library/react'
import { vi } from 'vitest'

const WAIT_CEILING_MS = 10_000

configure({ asyncUtilTimeout: WAIT_CEILING_MS })

// vi.waitFor has no configurable default; calls that pass their own timeout keep it.
const waitFor = vi.waitFor.bind(vi)
vi.waitFor = ((callback: Parameters<typeof vi.waitFor>[0], options?: Parameters<typeof vi.waitFor>[1]) =>
  waitFor(
    callback,
    typeof options === 'number' ? options : { timeout: WAIT_CEILING_MS, ...options },
  )) as typeof vi.waitFor
