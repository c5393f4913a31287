// Loaded first by cli-matrix.test.ts: the integration suites then run their long cases too.
process.env.HOSTILE_FULL = '1'
