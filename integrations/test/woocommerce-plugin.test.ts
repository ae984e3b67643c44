/**
 * integrations/woocommerce/clickrelay.php, the project's only PHP: `php -l`, then the plugin run
 * under php-cli with WordPress and WooCommerce stood in by wordpress-stub.php.
 *
 * Needs php-cli (Debian: `apt-get install php-cli`; .ci/run installs it). In CI a missing php
 * fails; elsewhere these tests are skipped with that message.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

const PLUGIN = fileURLToPath(new URL('../woocommerce/clickrelay.php', import.meta.url))
const STUB = fileURLToPath(new URL('./wordpress-stub.php', import.meta.url))
const CLASSIC = 'woocommerce_checkout_create_order'
const BLOCKS = 'woocommerce_store_api_checkout_update_order_from_request'

const hasPhp = spawnSync('php', ['--version']).status === 0
const inCI = process.env.CI === 'true'
const skip = hasPhp || inCI ? false : 'php-cli is not installed (Debian: apt-get install php-cli); CI installs it and runs these tests'

function php(args: string[], input?: string) {
  const run = spawnSync('php', args, { input, encoding: 'utf8' })
  if (run.error) throw new Error(`php could not run: ${run.error.message} (Debian: apt-get install php-cli)`)
  return run
}

interface Outcome {
  hooks: string[]
  saved: Record<string, string>
  declared: Record<string, [string, boolean]>
}

/** One checkout through the plugin: `cookie` is the raw cr_vid cookie value (absent: no cookie). */
function checkout(hook: string, cookie?: unknown): Outcome {
  const scenario = cookie === undefined ? { hook } : { hook, cookie }
  const run = php([STUB], JSON.stringify(scenario))
  assert.equal(run.status, 0, `php exited ${run.status}: ${run.stderr}${run.stdout}`)
  assert.equal(run.stderr, '')
  return JSON.parse(run.stdout) as Outcome
}

const VALID = [
  'q3Vf8Jk2LmN0pQrS', // 96 bits of base64url, as cr.js makes them (16 characters, the shortest)
  'AbC-_0123456789xyZ_-',
  'x'.repeat(64),
]
const INVALID: unknown[] = [
  '',
  'q3Vf8Jk2LmN0pQr', // 15 characters
  'x'.repeat(65),
  'q3Vf8Jk2LmN0pQrS\n', // a trailing newline, which /...$/ would let through
  'q3Vf8Jk2 LmN0pQrS',
  'q3Vf8Jk2LmN0pQrS"',
  "q3Vf8Jk2LmN0pQrS'--",
  '<script>alert(1)</script>',
  'q3Vf8Jk2LmN0pQr\u00e4',
  'q3Vf8Jk2.LmN0pQrS',
  ['q3Vf8Jk2LmN0pQrS'], // cr_vid[]=… arrives as an array
  { a: 'q3Vf8Jk2LmN0pQrS' },
]

test('php-cli is installed (CI installs Debian\'s php-cli; .ci/run)', { skip }, () => {
  assert.ok(hasPhp, 'php is not on PATH: install php-cli (apt-get install php-cli)')
})

test('clickrelay.php passes php -l', { skip }, () => {
  const run = php(['-l', PLUGIN])
  assert.equal(run.status, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /No syntax errors detected/)
})

test('clickrelay.php has a plugin header WordPress reads, and says it is the only PHP', () => {
  const source = readFileSync(PLUGIN, 'utf8')
  assert.match(source, /^<\?php\n\/\*\*\n \* Plugin Name: +ClickRelay for WooCommerce$/m)
  assert.match(source, /^ \* Requires Plugins: +woocommerce$/m)
  assert.match(source, /The only PHP in ClickRelay/)
})

test('loaded outside WordPress, the plugin exits before doing anything', { skip }, () => {
  const run = php([PLUGIN])
  assert.equal(run.status, 0)
  assert.equal(run.stdout + run.stderr, '', 'no output, and no call to WordPress functions that do not exist here')
})

test('it hooks the classic and the block checkout, and declares HPOS and block-checkout compatibility', { skip }, () => {
  const outcome = checkout(CLASSIC)
  assert.deepEqual(outcome.hooks.sort(), ['before_woocommerce_init', BLOCKS, CLASSIC].sort())
  assert.deepEqual(outcome.declared, {
    custom_order_tables: ['clickrelay.php', true],
    cart_checkout_blocks: ['clickrelay.php', true],
  })
})

for (const [name, hook] of [
  ['classic checkout', CLASSIC],
  ['block checkout', BLOCKS],
] as const) {
  test(`${name}: a valid cr_vid cookie is in the order's meta as _cr_vid when WooCommerce saves it`, { skip }, () => {
    for (const visitorId of VALID) {
      assert.deepEqual(checkout(hook, visitorId).saved, { _cr_vid: visitorId }, visitorId)
    }
  })

  test(`${name}: no cookie, or one that is not a visitor ID, writes no meta at all`, { skip }, () => {
    assert.deepEqual(checkout(hook).saved, {}, 'no cookie')
    for (const cookie of INVALID) {
      assert.deepEqual(checkout(hook, cookie).saved, {}, JSON.stringify(cookie))
    }
  })
}
