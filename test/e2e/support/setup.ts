// The e2e suite drives the real OpenClaw in child processes with their own HOME; nothing of the
// caller's OpenClaw environment may leak into them (the suite's own OPENCLAW_E2E_* settings stay).
for (const key of Object.keys(process.env))
  if (key.startsWith('OPENCLAW_') && !key.startsWith('OPENCLAW_E2E_')) delete process.env[key]
delete process.env.NODE_ENV
