// The packaged app's Electron fuses (electron-builder.yml `electronFuses`). Each key is checked
// against electron-builder's own JSON schema (FuseOptionsV1), so a misspelt fuse name fails here
// instead of being ignored at packaging time. (Loading electron-builder's config loader itself
// takes seconds, too slow for a unit test; its YAML parser and schema file are what it uses.)
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const ROOT = resolve(import.meta.dirname, '..')

const yaml = require('js-yaml') as { load(text: string): unknown }
const builderConfig = yaml.load(readFileSync(resolve(ROOT, 'electron-builder.yml'), 'utf8')) as {
  electronFuses?: Record<string, unknown>
  asar?: unknown
}
const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as {
  definitions: Record<string, { properties: Record<string, unknown>; additionalProperties: boolean }>
}

describe('packaging: Electron fuses', () => {
  it('electron-builder.yml flips every hardening fuse', () => {
    expect(builderConfig.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    })
    // Integrity validation and asar-only loading need an asar.
    expect(builderConfig.asar).toBe(true)
  })

  it("every fuse key is one electron-builder's schema knows (FuseOptionsV1 allows no others)", () => {
    const fuseSchema = schema.definitions.FuseOptionsV1!
    expect(fuseSchema.additionalProperties).toBe(false)
    const known = Object.keys(fuseSchema.properties)
    expect(known).toContain('runAsNode') // the schema is the one we think it is
    for (const key of Object.keys(builderConfig.electronFuses ?? {})) expect(known).toContain(key)
  })
})
