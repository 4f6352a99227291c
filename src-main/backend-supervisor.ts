// Type-only forward for src-main/backend-client.ts, which another step of issue 9 replaces with the
// shared sync session; it imports `./backend-supervisor` and is not edited here. Remove with it.
export type { Logger } from './backend/backend-supervisor'
