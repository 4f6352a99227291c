// Generates the app icon and the tray icons as PNGs with nothing but zlib (no image tooling is
// needed to rebuild them): `node resources/make-icons.mjs`. Shapes are rasterised with 4×4
// supersampling for smooth edges.
//   icon.png (512×512)                     app icon; electron-builder derives .icns/.ico from it
//   tray/tray-<state>.png, @2x            Windows/Linux tray, coloured per state
//   tray/tray-<state>Template.png, @2x    macOS menu-bar template images (black + alpha)
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (buf) => {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type, data) {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}
/** RGBA pixels (Uint8Array, size*size*4) → PNG bytes. */
function png(size, rgba) {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8 // bit depth
  header[9] = 6 // RGBA
  const raw = Buffer.alloc((size * 4 + 1) * size)
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0 // filter: none
    Buffer.from(rgba.buffer, y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1)
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const segDist = (px, py, [ax, ay], [bx, by]) => {
  const dx = bx - ax
  const dy = by - ay
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy))
}
const PULSE = [
  [0.14, 0.54],
  [0.36, 0.54],
  [0.44, 0.3],
  [0.55, 0.74],
  [0.63, 0.47],
  [0.86, 0.47],
]
const onPulse = (x, y, width) => PULSE.slice(1).some((p, i) => segDist(x, y, PULSE[i], p) < width)

/**
 * Rasterises `layers`, each a [test(x,y) → boolean in unit coordinates, [r,g,b,a]], later layers
 * over earlier ones; a colour with alpha 0 erases (cut-out).
 */
function render(size, layers) {
  const out = new Uint8Array(size * size * 4)
  const S = 4
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0
      let g = 0
      let b = 0
      let a = 0
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const ux = (x + (sx + 0.5) / S) / size
          const uy = (y + (sy + 0.5) / S) / size
          let c = [0, 0, 0, 0]
          for (const [test, color] of layers) if (test(ux, uy)) c = color
          // premultiplied accumulation
          r += (c[0] * c[3]) / 255
          g += (c[1] * c[3]) / 255
          b += (c[2] * c[3]) / 255
          a += c[3]
        }
      }
      const n = S * S
      const i = (y * size + x) * 4
      const alpha = a / n
      out[i] = alpha ? Math.round(((r / n) * 255) / alpha) : 0
      out[i + 1] = alpha ? Math.round(((g / n) * 255) / alpha) : 0
      out[i + 2] = alpha ? Math.round(((b / n) * 255) / alpha) : 0
      out[i + 3] = Math.round(alpha)
    }
  }
  return out
}

const write = (rel, bytes) => {
  const path = join(here, rel)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, bytes)
}

// ---- app icon: a dark rounded square with a teal pulse line
const roundedSquare = (x, y) => {
  const m = 0.06
  const r = 0.2
  const cx = Math.min(Math.max(x, m + r), 1 - m - r)
  const cy = Math.min(Math.max(y, m + r), 1 - m - r)
  return Math.hypot(x - cx, y - cy) <= r
}
write(
  'icon.png',
  png(
    512,
    render(512, [
      [roundedSquare, [24, 28, 36, 255]],
      [(x, y) => onPulse(x, y, 0.045), [45, 212, 191, 255]],
    ]),
  ),
)

// ---- tray icons
const disc = (x, y) => Math.hypot(x - 0.5, y - 0.5) <= 0.46
const ring = (x, y) => {
  const d = Math.hypot(x - 0.5, y - 0.5)
  return d <= 0.46 && d >= 0.34
}
const CLEAR = [0, 0, 0, 0]
const STATES = {
  idle: {
    color: [138, 143, 152, 255],
    layers: (c) => [
      [ring, c],
      [(x, y) => onPulse(x, y, 0.07) && Math.hypot(x - 0.5, y - 0.5) < 0.34, c],
    ],
  },
  running: {
    color: [59, 130, 246, 255],
    layers: (c) => [
      [disc, c],
      [(x, y) => onPulse(x, y, 0.07), CLEAR],
    ],
  },
  failure: {
    color: [239, 68, 68, 255],
    layers: (c) => [
      [disc, c],
      [(x, y) => onPulse(x, y, 0.07), CLEAR],
    ],
  },
  disconnected: {
    color: [138, 143, 152, 200],
    // a broken ring: gaps at the diagonals
    layers: (c) => [[(x, y) => ring(x, y) && Math.abs(Math.abs(x - 0.5) - Math.abs(y - 0.5)) > 0.08, c]],
  },
}
for (const [state, { color, layers }] of Object.entries(STATES)) {
  for (const [suffix, size] of [
    ['', 16],
    ['@2x', 32],
  ]) {
    write(`tray/tray-${state}${suffix}.png`, png(size, render(size, layers(color))))
    write(`tray/tray-${state}Template${suffix}.png`, png(size, render(size, layers([0, 0, 0, color[3]]))))
  }
}
console.log('icons written to', here)
