/**
 * The WebSocket protocol version `hello` carries. 2: `task_status_update` nests the task under
 * `task` instead of mixing the frame's metadata into the task's fields. A hello without a version
 * is protocol 1. Its own module (no zod) so the renderer's sync session can import it.
 */
export const PROTOCOL_VERSION = 2
