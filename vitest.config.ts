// Test projects: fast units beside the code, renderer units in happy-dom (test doubles for both in
// test/fakes/; `npm run test:unit` runs these two without a build), and integration / e2e
// suites that run real processes (redis-server, the built backend, Chromium). `npm test` builds
// first, so integration and e2e always exercise the same entry the app ships.
import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

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
        // Attacks and faults against the real built server: floods, fuzzing, broken storage,
        // hostile Redis. One file at a time, so a flood measures its own server, not a neighbour's.
        test: {
          name: 'adversarial',
          include: ['test/adversarial/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          // After the other projects, alone: a flood measures its own server, not a neighbour's.
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
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
})
