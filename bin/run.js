#!/usr/bin/env node
// Standalone face: `openclaw-migrate export|import|check` maps onto the plugin's `migrate *` commands.
import {execute} from '@oclif/core'

import {standaloneArgv} from '../dist/standalone.js'

await execute({args: standaloneArgv(process.argv.slice(2)), dir: import.meta.url})
