// The clock of the CLI's time budgets (a hook's deadline, a send's ceiling): milliseconds since this
// process started. process.uptime(), not performance.now(): the first use of the `performance`
// global loads node:perf_hooks, ~3 ms of a hook call's CPU, and an agent waits for each hook call.
export const sinceStartMs = (): number => process.uptime() * 1000
