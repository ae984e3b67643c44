import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, loadConfig } from '../../src/config.js'

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

test('CLICKRELAY_TRUST_PROXY takes Express trust-proxy values', () => {
  assert.equal(loadConfig({}).trustProxy, false)
  assert.equal(loadConfig({ CLICKRELAY_TRUST_PROXY: 'true' }).trustProxy, true)
  assert.equal(loadConfig({ CLICKRELAY_TRUST_PROXY: '2' }).trustProxy, 2)
  assert.equal(loadConfig({ CLICKRELAY_TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy, 'loopback, 10.0.0.0/8')
})

test('CLICKRELAY_DEFAULT_COUNTRY is case-insensitive', () => {
  assert.equal(loadConfig({ CLICKRELAY_DEFAULT_COUNTRY: 'de' }).defaultCountry, 'DE')
})
