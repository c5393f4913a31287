import fs from 'node:fs'
import {fileURLToPath} from 'node:url'

let cached: string | undefined

/** This package's version, read once from package.json (works from src/ and dist/). */
export function toolVersion(): string {
  if (cached) return cached
  const pkg = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
    version: string
  }
  cached = pkg.version
  return cached
}
