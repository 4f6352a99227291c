// Imported first by main.tsx, so it runs before any module defines a schema.
// The page's CSP forbids eval. zod probes `new Function('')` when an object schema is built, to
// choose its compiled fast path; the probe is caught, but Chromium still reports a CSP violation
// on every load. Jitless parsing skips the probe (and the eval the CSP would refuse anyway).
import { z } from 'zod'

z.config({ jitless: true })
