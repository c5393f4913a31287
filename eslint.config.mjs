import oclif from 'eslint-config-oclif'
import prettier from 'eslint-config-prettier'

export default [
  {ignores: ['dist/', 'node_modules/', '.cache/', 'oclif.manifest.json']},
  ...oclif,
  prettier,
  {
    rules: {
      // The tool is built on Node streams, fs and zlib, whose API is Buffer.
      '@typescript-eslint/no-restricted-types': 'off',
      'n/prefer-global/buffer': 'off',
      // File modes and tar header fields are bit fields.
      'no-bitwise': 'off',
      // Archives are read and written in order: entries, renames and journal steps are sequential on purpose.
      'no-await-in-loop': 'off',
      // Key order of JSON output and member order of classes carry meaning (reports, initialisation order).
      'perfectionist/sort-classes': 'off',
      'perfectionist/sort-objects': 'off',
      // zstd and node:sqlite are detected at run time (the tool runs on Node 22 and 24).
      'n/no-unsupported-features/node-builtins': 'off',
      // Patterns match ASCII paths and tar fields; the u flag changes escapes without adding anything.
      'require-unicode-regexp': 'off',
      'unicorn/consistent-boolean-name': 'off',
      'unicorn/no-break-in-nested-loop': 'off',
    },
  },
]
