// Tests load src/ through tsx: oclif maps ./dist/commands to ./src/commands only when NODE_ENV is test.
process.env.NODE_ENV = 'test'
process.env.OPENCLAW_MIGRATE_TEST = '1'
delete process.env.OPENCLAW_STATE_DIR
delete process.env.OPENCLAW_CONFIG_PATH
delete process.env.OPENCLAW_PROFILE
delete process.env.OPENCLAW_HOME
delete process.env.OPENCLAW_MIGRATE_PASSPHRASE
