// Builds the three Electron parts: main (src-main), preload (src-main/preload) and the renderer
// (src-renderer). The backend and CLI are built separately for plain Node by scripts/build.mjs.
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: { input: { index: resolve(__dirname, 'src-main/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-main/preload/index.ts') },
        // Sandboxed preloads cannot be ES modules: CommonJS, named .cjs under "type": "module".
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    // Relative asset paths: the same build is loaded from file:// in Electron and served by
    // `taskpulse serve` at / in browsers.
    base: './',
    build: {
      outDir: 'out/renderer',
      // electron-vite leaves the renderer unminified; the same bundle is served to browsers.
      minify: true,
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
    plugins: [react()],
  },
})
