import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/config.js'

test('with no TikTok credentials the collector runs in sandbox mode on 127.0.0.1:8787', () => {
  const config = loadConfig({})
  assert.equal(config.mode, 'sandbox')
  assert.equal(config.port, 8787)
  assert.equal(config.host, '127.0.0.1')
  assert.equal(config.dbPath, './data/clickrelay.db')
  assert.equal(config.tiktok.eventsApiUrl, undefined)
  assert.equal(config.tiktok.purchaseEvent, 'Purchase')
})

test('with credentials it goes live against TikTok by default', () => {
  const config = loadConfig({ CLICKRELAY_PIXEL_CODE: 'C4ABCDEFGHIJ12345', CLICKRELAY_ACCESS_TOKEN: 'tok', CLICKRELAY_ORDER_SECRET: 'x'.repeat(32) })
  assert.equal(config.mode, 'live')
  assert.equal(config.tiktok.eventsApiUrl, 'https://business-api.tiktok.com/open_api/v1.3/event/track/')
})

function assertNames(env: Record<string, string>, variable: string) {
  assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && err.message.startsWith(variable + ':'), `expected an error naming ${variable}`)
}

test('a bad value stops start-up with the variable named', () => {
  assertNames({ PORT: 'eighty' }, 'PORT')
  assertNames({ CLICKRELAY_PIXEL_CODE: 'C4ABCDEFGHIJ12345' }, 'CLICKRELAY_ACCESS_TOKEN')
  assertNames({ CLICKRELAY_ACCESS_TOKEN: 'tok' }, 'CLICKRELAY_PIXEL_CODE')
  assertNames({ CLICKRELAY_PIXEL_CODE: 'C4ABCDEFGHIJ12345', CLICKRELAY_ACCESS_TOKEN: 'tok' }, 'CLICKRELAY_ORDER_SECRET')
  assertNames({ CLICKRELAY_DEFAULT_COUNTRY: 'XX' }, 'CLICKRELAY_DEFAULT_COUNTRY')
  assertNames({ CLICKRELAY_EVENTS_API_URL: 'ftp://x' }, 'CLICKRELAY_EVENTS_API_URL')
  assertNames({ CLICKRELAY_TRUST_PROXY: 'not-an-address' }, 'CLICKRELAY_TRUST_PROXY')
  assertNames({ CLICKRELAY_ORDER_SECRET: 'short' }, 'CLICKRELAY_ORDER_SECRET')
  assertNames({ CLICKRELAY_PURCHASE_EVENT: 'Buy' }, 'CLICKRELAY_PURCHASE_EVENT')
})

test('CLICKRELAY_ALERT_WEBHOOK_URL: https, or plain http to this machine only', () => {
  assert.equal(loadConfig({ CLICKRELAY_ALERT_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/x' }).alertWebhookUrl, 'https://hooks.slack.com/services/T0/B0/x')
  assert.equal(loadConfig({ CLICKRELAY_ALERT_WEBHOOK_URL: 'http://127.0.0.1:9000/hook' }).alertWebhookUrl, 'http://127.0.0.1:9000/hook')
  assertNames({ CLICKRELAY_ALERT_WEBHOOK_URL: 'http://hooks.example.com/x' }, 'CLICKRELAY_ALERT_WEBHOOK_URL')
  assertNames({ CLICKRELAY_ALERT_WEBHOOK_URL: 'hooks.slack.com/services/x' }, 'CLICKRELAY_ALERT_WEBHOOK_URL')
})

test('CLICKRELAY_TRUST_PROXY takes Express trust-proxy values', () => {
  assert.equal(loadConfig({}).trustProxy, false)
  assert.equal(loadConfig({ CLICKRELAY_TRUST_PROXY: 'true' }).trustProxy, true)
  assert.equal(loadConfig({ CLICKRELAY_TRUST_PROXY: '2' }).trustProxy, 2)
  assert.equal(loadConfig({ CLICKRELAY_TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy, 'loopback, 10.0.0.0/8')
})

test('CLICKRELAY_DEFAULT_COUNTRY is case-insensitive', () => {
  assert.equal(loadConfig({ CLICKRELAY_DEFAULT_COUNTRY: 'de' }).defaultCountry, 'DE')
})

const LIVE = { CLICKRELAY_PIXEL_CODE: 'C4ABCDEFGHIJ12345', CLICKRELAY_ACCESS_TOKEN: 'tok', CLICKRELAY_ORDER_SECRET: 'x'.repeat(32) }

test('an inferred sandbox refuses production and non-loopback addresses, naming what is missing', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /NODE_ENV=production: set CLICKRELAY_PIXEL_CODE, CLICKRELAY_ACCESS_TOKEN and CLICKRELAY_ORDER_SECRET .* or CLICKRELAY_MODE=sandbox/)
  assertNames({ CLICKRELAY_HOST: '0.0.0.0' }, 'CLICKRELAY_HOST')
  assertNames({ CLICKRELAY_HOST: '192.0.2.10' }, 'CLICKRELAY_HOST')
  for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) assert.equal(loadConfig({ CLICKRELAY_HOST: host }).mode, 'sandbox', host)
  assert.equal(loadConfig({ ...LIVE, NODE_ENV: 'production', CLICKRELAY_HOST: '0.0.0.0' }).mode, 'live')
})

test('CLICKRELAY_MODE says the mode outright', () => {
  assert.equal(loadConfig({ CLICKRELAY_MODE: 'sandbox', CLICKRELAY_HOST: '0.0.0.0', NODE_ENV: 'production' }).mode, 'sandbox', 'a sandbox on purpose may face a network')
  assertNames({ CLICKRELAY_MODE: 'live' }, 'CLICKRELAY_PIXEL_CODE')
  assert.throws(() => loadConfig({ CLICKRELAY_MODE: 'live', CLICKRELAY_PIXEL_CODE: 'C4ABCDEFGHIJ12345' }), /^Error: CLICKRELAY_ACCESS_TOKEN: required in live mode \(CLICKRELAY_MODE is live\); also missing: CLICKRELAY_ORDER_SECRET/)
  assertNames({ ...LIVE, CLICKRELAY_MODE: 'sandbox' }, 'CLICKRELAY_MODE')
  assertNames({ CLICKRELAY_MODE: 'staging' }, 'CLICKRELAY_MODE')
  assert.equal(loadConfig({ ...LIVE, CLICKRELAY_MODE: 'live' }).mode, 'live')
})

test('CLICKRELAY_PUBLIC_URL is a base URL, kept without its trailing slash', () => {
  assert.equal(loadConfig({ CLICKRELAY_PUBLIC_URL: 'https://Shop.example/cr/' }).publicUrl, 'https://shop.example/cr')
  assert.equal(loadConfig({ CLICKRELAY_PUBLIC_URL: 'https://shop.example' }).publicUrl, 'https://shop.example')
  assert.equal(loadConfig({}).publicUrl, undefined)
  assertNames({ CLICKRELAY_PUBLIC_URL: 'shop.example' }, 'CLICKRELAY_PUBLIC_URL')
  assertNames({ CLICKRELAY_PUBLIC_URL: 'https://shop.example/?x=1' }, 'CLICKRELAY_PUBLIC_URL')
})

test('CONFIG_VARIABLES lists every variable the schema reads', () => {
  for (const name of ['PORT', 'NODE_ENV', 'CLICKRELAY_MODE', 'CLICKRELAY_PUBLIC_URL', 'CLICKRELAY_TRUST_PROXY', 'CLICKRELAY_LOG_LEVEL']) assert.ok(CONFIG_VARIABLES.includes(name), name)
})
