#!/usr/bin/env node
// Development face: runs src/ through tsx (oclif maps dist/ to src/ when NODE_ENV is development).
import {register} from 'tsx/esm/api'

process.env.NODE_ENV ??= 'development'
register()
const {execute} = await import('@oclif/core')
const {standaloneArgv} = await import('../src/standalone.ts')
await execute({args: standaloneArgv(process.argv.slice(2)), development: true, dir: import.meta.url})
