// Test projects: fast units beside the code, renderer units in happy-dom (test doubles for both in
// test/fakes/; `npm run test:unit` runs these two without a build), and integration / e2e
// suites that run real processes (redis-server, the built backend, Chromium). `npm test` builds
// first, so integration and e2e always exercise the same entry the app ships.
import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

// Adversarial files that check answers and stored data, not memory or timing (see below).
const ADVERSARIAL_FAULTS = [
  'test/adversarial/cli.test.ts',
  'test/adversarial/convergence.test.ts',
  'test/adversarial/hook-fuzz.test.ts',
  'test/adversarial/new-routes-fuzz.test.ts',
  'test/adversarial/process-faults.test.ts',
  // Counts reconnects against upper bounds (a busy machine only makes fewer) and waits out the
  // backoff: mostly sleeping, so it shares the cores well.
  'test/adversarial/redis-acl.test.ts',
  'test/adversarial/signals.test.ts',
  'test/adversarial/spool-faults.test.ts',
  'test/adversarial/stream-faults.test.ts',
]

export default defineConfig({
  test: {
    reporters: ['default'],
    // Vitest's default (cores − 1) is one worker on a 2-core machine, which ran every file in turn;
    // most of these tests wait on real processes and sockets, so two at a time fill the cores.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src-shared/**/*.test.ts', 'src-backend/**/*.test.ts', 'src-main/**/*.test.ts'],
          environment: 'node',
          // Vitest's 5 s default failed SQLite tests with a few thousand rows on a busy 2-core
          // machine (8.7 s at load 24); a ceiling catches a hang, not a slow machine.
          testTimeout: 30_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          include: ['src-renderer/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
          testTimeout: 30_000,
          setupFiles: ['src-renderer/test-setup.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'bench/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Attacks and faults that assert behaviour, not the server's memory or latency: they run
        // beside the other suites, two files at a time.
        test: {
          name: 'adversarial',
          include: ADVERSARIAL_FAULTS,
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Floods and fuzzing that measure the server's own RSS and health latency: one file at a
        // time, after the rest, so a flood measures its own server, not a neighbour's.
        test: {
          name: 'adversarial-floods',
          include: ['test/adversarial/**/*.test.ts'],
          exclude: ADVERSARIAL_FAULTS,
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 90_000,
          hookTimeout: 90_000,
          // Two files at a time like the rest (the fleet file alone is ~100 s); nothing in them
          // asserts a duration. After the floods, which must not share the machine's cores.
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
})
