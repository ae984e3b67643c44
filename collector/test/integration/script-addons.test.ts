/**
 * The platform add-ons are served beside cr.js, the same way: GET /cr-shopify.js and
 * GET /cr-stripe-links.js answer the committed dist/ file, as JavaScript, cacheable for an hour
 * and revalidated by ETag, over a real socket from a real collector.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { get } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ROOT } from '../../src/paths.js'
import { SCRIPT_NAMES } from '../../src/routes/script.js'
import { startTestCollector, startTestSandbox, type TestCollector, type TestSandbox } from '../harness.js'

const ADD_ONS = ['cr-shopify.js', 'cr-stripe-links.js', 'cr-identify.js']

/**
 * The status of a GET with `If-None-Match`, as a browser revalidating its cached copy sends it.
 * Not through fetch(), which adds `Cache-Control: no-cache` to a conditional request, and that
 * asks the server for the whole file again.
 */
function revalidate(url: string, etag: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'If-None-Match': etag } }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode))
    }).on('error', reject)
  })
}

describe('the add-on scripts', () => {
  let sandbox: TestSandbox
  let collector: TestCollector
  before(async () => {
    sandbox = await startTestSandbox()
    collector = await startTestCollector({ eventsApiUrl: sandbox.trackUrl })
  })
  after(async () => {
    await collector.stop()
    await sandbox.close()
  })

  test('every file rollup builds is served: cr.js, both add-ons and cr-identify.js', () => {
    assert.deepEqual(SCRIPT_NAMES, ['cr.js', ...ADD_ONS])
  })

  for (const name of ADD_ONS) {
    test(`GET /${name} answers dist/${name} with the headers /cr.js has`, async () => {
      const [script, addOn] = await Promise.all([fetch(`${collector.url}/cr.js`), fetch(`${collector.url}/${name}`)])
      assert.equal(addOn.status, 200)
      assert.equal(addOn.headers.get('content-type'), 'application/javascript; charset=utf-8')
      assert.equal(addOn.headers.get('content-type'), script.headers.get('content-type'))
      assert.equal(addOn.headers.get('cache-control'), 'public, max-age=3600')
      assert.equal(addOn.headers.get('cache-control'), script.headers.get('cache-control'))
      assert.deepEqual(Buffer.from(await addOn.arrayBuffer()), readFileSync(join(ROOT, 'dist', name)))
    })

    test(`GET /${name} is revalidated by its ETag`, async () => {
      const first = await fetch(`${collector.url}/${name}`)
      const etag = first.headers.get('etag')
      assert.ok(etag, 'an ETag')
      assert.equal(await revalidate(`${collector.url}/${name}`, etag), 304)
    })
  }

  test('a name beside them that is not an add-on is not served', async () => {
    const response = await fetch(`${collector.url}/cr-woocommerce.js`)
    assert.equal(response.status, 404)
  })
})
