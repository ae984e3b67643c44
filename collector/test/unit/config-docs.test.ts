/**
 * Every variable the configuration schema reads is documented where operators look:
 * deploy/clickrelay.env.example and the README's table; and deploy/ agrees with itself.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { test } from 'node:test'
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/config.js'

const root = new URL('../../../', import.meta.url)
const envExample = readFileSync(new URL('deploy/clickrelay.env.example', root), 'utf8')
const readme = readFileSync(new URL('README.md', root), 'utf8')
const unit = readFileSync(new URL('deploy/clickrelay.service', root), 'utf8')

/** `NAME=value` and `# NAME=value` lines: a commented line shows the default. */
function envLines(text: string): Array<{ name: string; value: string; commented: boolean }> {
  return [...text.matchAll(/^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => ({ name: m[2]!, value: m[3]!, commented: Boolean(m[1]) }))
}

/** Backticked names in the first cell of each table row under "### Configuration". */
function readmeTableVariables(text: string): string[] {
  const heading = /^### Configuration$/m.exec(text)
  assert.ok(heading, 'README.md has no "### Configuration" section')
  const rest = text.slice(heading.index + heading[0].length)
  const end = rest.search(/^#{1,3} /m)
  const section = end === -1 ? rest : rest.slice(0, end)
  const names: string[] = []
  for (const line of section.split('\n')) {
    if (!line.startsWith('|')) continue
    const firstCell = line.split('|')[1] ?? ''
    for (const m of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.push(m[1]!)
  }
  return names
}

const documentedInExample = envLines(envExample).map((l) => l.name)
const documentedInReadme = readmeTableVariables(readme)

test('the configuration schema reads a known list of variables', () => {
  assert.ok(CONFIG_VARIABLES.length >= 20, `CONFIG_VARIABLES has ${CONFIG_VARIABLES.length} names`)
  assert.ok(CONFIG_VARIABLES.includes('CLICKRELAY_ACCESS_TOKEN'))
})

test('deploy/clickrelay.env.example lists every variable the configuration schema reads, once', () => {
  const missing = CONFIG_VARIABLES.filter((name) => !documentedInExample.includes(name))
  assert.deepEqual(missing, [], `add to deploy/clickrelay.env.example: ${missing.join(', ')}`)
  const twice = documentedInExample.filter((name, i) => documentedInExample.indexOf(name) !== i)
  assert.deepEqual(twice, [], `listed more than once in deploy/clickrelay.env.example: ${twice.join(', ')}`)
  const unknown = documentedInExample.filter((name) => !CONFIG_VARIABLES.includes(name))
  assert.deepEqual(unknown, [], `deploy/clickrelay.env.example lists variables the collector does not read: ${unknown.join(', ')}`)
})

test("the README's Configuration table lists every variable the configuration schema reads", () => {
  const missing = CONFIG_VARIABLES.filter((name) => !documentedInReadme.includes(name))
  assert.deepEqual(missing, [], `add to the README's "### Configuration" table: ${missing.join(', ')}`)
  const unknown = documentedInReadme.filter((name) => !CONFIG_VARIABLES.includes(name))
  assert.deepEqual(unknown, [], `the README's Configuration table lists variables the collector does not read: ${unknown.join(', ')}`)
})

test('the defaults shown in deploy/clickrelay.env.example are the defaults the collector uses', () => {
  const live = { CLICKRELAY_PIXEL_CODE: 'C4ABCDEFGHIJ12345', CLICKRELAY_ACCESS_TOKEN: 'tok', CLICKRELAY_ORDER_SECRET: 'x'.repeat(32) }
  const shownDefaults = Object.fromEntries(envLines(envExample).filter((l) => l.commented && l.value !== '').map((l) => [l.name, l.value]))
  assert.ok(Object.keys(shownDefaults).length >= 10, 'expected commented-out defaults in deploy/clickrelay.env.example')
  assert.deepEqual(loadConfig({ ...live, ...shownDefaults }), loadConfig(live))
})

test('deploy/clickrelay.env.example as shipped refuses to start, naming the first credential to fill in; filled in, it is live', () => {
  const settings = Object.fromEntries(envLines(envExample).filter((l) => !l.commented).map((l) => [l.name, l.value]))
  assert.equal(settings.NODE_ENV, 'production')
  assert.throws(() => loadConfig(settings), (err: unknown) => err instanceof ConfigError && err.message.startsWith('CLICKRELAY_PIXEL_CODE:'))
  const filled = { ...settings, CLICKRELAY_PIXEL_CODE: 'C4ABCDEFGHIJ12345', CLICKRELAY_ACCESS_TOKEN: 'tok', CLICKRELAY_ORDER_SECRET: 'x'.repeat(32) }
  const config = loadConfig(filled)
  assert.equal(config.mode, 'live')
  assert.equal(config.dbPath, '/var/lib/clickrelay/clickrelay.db')
  assert.equal(config.trustProxy, 'loopback')
})

test('the systemd unit runs the committed build, hardened, writing only where the example puts the database', () => {
  const settings = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!)
  const [execStart] = settings('ExecStart')
  const script = /^\S*node \/opt\/clickrelay\/(\S+)$/.exec(execStart ?? '')?.[1]
  assert.equal(script, 'dist/collector/src/main.js')
  assert.ok(existsSync(new URL(script, root)), `${script} is not in the repository: run npm run build`)
  assert.deepEqual(settings('EnvironmentFile'), ['/etc/clickrelay/clickrelay.env'])
  for (const [key, value] of [['User', 'clickrelay'], ['ProtectSystem', 'strict'], ['NoNewPrivileges', 'yes'], ['PrivateTmp', 'yes'], ['ProtectHome', 'yes'], ['Restart', 'on-failure']]) {
    assert.deepEqual(settings(key!), [value], `${key}=${value}`)
  }
  const exampleDb = envLines(envExample).find((l) => l.name === 'CLICKRELAY_DB' && !l.commented)?.value
  assert.ok(exampleDb)
  assert.ok(settings('Environment').includes(`CLICKRELAY_DB=${exampleDb}`))
  assert.ok(settings('ReadWritePaths').includes(dirname(exampleDb)), `ReadWritePaths= must cover ${dirname(exampleDb)}`)
})
