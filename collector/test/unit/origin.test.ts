import assert from 'node:assert/strict'
import { test } from 'node:test'
import express from 'express'
import { isLoopback, isPrivateAddress, isSameOrigin, parseForwarded, rememberTrust, type PublicOrigin, type TrustProxy } from '../../src/origin.js'

const origin = (protocol: PublicOrigin['protocol'], hostname: string, port: string | undefined): PublicOrigin => ({ protocol, hostname, port, via: 'X-Forwarded-Host' })

test('Forwarded: the last element, quoted values unquoted, unknown keys ignored', () => {
  assert.deepEqual(parseForwarded('for=192.0.2.60;proto=http;by=203.0.113.43'), { for: '192.0.2.60', proto: 'http' })
  assert.deepEqual(parseForwarded('host=evil.example, for="[2001:db8:cafe::17]:4711";Proto=HTTPS;host="shop.example:8443"'), { for: '[2001:db8:cafe::17]:4711', proto: 'HTTPS', host: 'shop.example:8443' })
  assert.deepEqual(parseForwarded(undefined), {})
  assert.deepEqual(parseForwarded('garbage'), {})
})

test('same origin: scheme and host always, the port when the source named one (443 and 80 by default)', () => {
  assert.equal(isSameOrigin('https://shop.example', origin('https:', 'shop.example', '443')), true)
  assert.equal(isSameOrigin('https://shop.example:8443', origin('https:', 'shop.example', '443')), false)
  assert.equal(isSameOrigin('https://shop.example:8443', origin('https:', 'shop.example', undefined)), true)
  assert.equal(isSameOrigin('http://shop.example', origin('https:', 'shop.example', undefined)), false)
  assert.equal(isSameOrigin('https://www.shop.example', origin('https:', 'shop.example', undefined)), false)
  assert.equal(isSameOrigin('null', origin('https:', 'shop.example', undefined)), false)
})

test('loopback and private addresses', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.equal(isLoopback(host), true, host)
  for (const host of ['0.0.0.0', '10.0.0.1', '128.0.0.1', 'shop.example', undefined]) assert.equal(isLoopback(host), false, String(host))
  for (const address of ['10.1.2.3', '172.16.0.1', '172.31.255.1', '192.168.1.1', '::ffff:10.0.0.1', 'fd00::1']) assert.equal(isPrivateAddress(address), true, address)
  for (const address of ['172.32.0.1', '203.0.113.66', '2001:db8::1', undefined]) assert.equal(isPrivateAddress(address), false, String(address))
})

test("remembered trust answers as Express's compiled CLICKRELAY_TRUST_PROXY does, asking it once per address and hop", () => {
  for (const setting of ['loopback', 'loopback, 10.0.0.0/8', 1, true]) {
    const compiled = express().set('trust proxy', setting).get('trust proxy fn') as TrustProxy
    let asked = 0
    const remembered = rememberTrust((address, hop) => {
      asked++
      return compiled(address, hop)
    })
    const cases: Array<[string | undefined, number]> = [['127.0.0.1', 0], ['::ffff:127.0.0.1', 0], ['10.1.2.3', 0], ['10.1.2.3', 1], ['203.0.113.9', 0], ['203.0.113.9', 1], ['203.0.113.9', 2], [undefined, 0]]
    for (let round = 0; round < 3; round++) {
      for (const [address, hop] of cases) assert.equal(remembered(address, hop), compiled(address, hop), `${String(setting)}: ${address} at hop ${hop}`)
    }
    assert.equal(asked, cases.length, 'each address and hop asked once')
  }
})

test('remembered trust forgets when it holds 1,000 answers: addresses a client writes cannot grow it without end', () => {
  let asked = 0
  const remembered = rememberTrust(() => {
    asked++
    return false
  })
  remembered('127.0.0.1', 0)
  for (let i = 0; i < 1_000; i++) remembered(`198.51.${i >> 8}.${i & 255}`, 1)
  assert.equal(asked, 1_001)
  remembered('127.0.0.1', 0)
  assert.equal(asked, 1_002, 'the memory started over, so the proxy is asked about again')
})
