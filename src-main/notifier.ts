// Type-only forward for src-main/backend-client.ts, which another step of issue 9 replaces with the
// shared sync session; it imports `./notifier` and is not edited here. Remove with backend-client.ts.
export type { Cursor } from './notifications/notifier'
