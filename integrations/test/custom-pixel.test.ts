/**
 * integrations/shopify/custom-pixel.js run as Shopify runs it: a script in a sandbox of its own
 * (a node:vm context) with stand-ins for the Web Pixels API (`analytics.subscribe`,
 * `browser.cookie.get`, `init`) and the little DOM TikTok's base code touches. What the pixel
 * asks TikTok for is read from the base code's `ttq` queue, which is exactly what TikTok's library
 * replays once it has loaded.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import vm from 'node:vm'
import { webcrypto } from 'node:crypto'
import * as acorn from 'acorn'
import fc from 'fast-check'
import { eventId } from '../../common/event-id.js'
import { hashEmail, hashExternalId, hashPhone } from '../../collector/src/hashing.js'

const SOURCE = readFileSync(new URL('../shopify/custom-pixel.js', import.meta.url), 'utf8')
const PLACEHOLDER = "'PASTE_YOUR_PIXEL_ID_HERE'"
const PIXEL_ID = 'CTESTPIXEL123456789A'
const VISITOR = 'q3Vf8Jk2LmN0pQrS'

type Handler = (event?: unknown) => unknown
/** One call the pixel made on ttq: [method, ...arguments], as plain JSON. */
type Call = [string, ...unknown[]]

interface Options {
  pixelId?: string
  /** What browser.cookie.get('cr_vid') resolves to, or a function that answers in its place. */
  cookie?: unknown
  browser?: unknown
  crypto?: boolean
}

/** Loads the pixel as a merchant would have pasted it (their pixel ID in place) into a fresh sandbox. */
function loadPixel(options: Options = {}) {
  const handlers = new Map<string, Handler>()
  const scripts: { src?: string }[] = []
  const warnings: string[] = []
  const cookieReads: string[] = []
  const cookie = options.cookie
  const sandbox: Record<string, unknown> = {
    analytics: { subscribe: (name: string, handler: Handler) => handlers.set(name, handler) },
    browser:
      'browser' in options
        ? options.browser
        : {
            cookie: {
              get: (name: string) => {
                cookieReads.push(name)
                return typeof cookie === 'function' ? cookie(name) : Promise.resolve(name === 'cr_vid' ? cookie : undefined)
              },
            },
          },
    init: { context: {}, data: { cart: null, customer: null } },
    document: {
      createElement: () => ({}),
      getElementsByTagName: () => [{ parentNode: { insertBefore: (node: { src?: string }) => scripts.push(node) } }],
    },
    console: { warn: (...args: unknown[]) => warnings.push(args.join(' ')), log() {}, error() {} },
    TextEncoder,
  }
  if (options.crypto !== false) sandbox.crypto = webcrypto
  sandbox.window = sandbox
  const pixelId = options.pixelId === undefined ? PIXEL_ID : options.pixelId
  vm.runInNewContext(SOURCE.replace(PLACEHOLDER, `'${pixelId}'`), sandbox, { filename: 'custom-pixel.js' })

  return {
    scripts,
    warnings,
    cookieReads,
    handlers,
    ttq: () => sandbox.ttq as unknown[] & { _i?: Record<string, unknown> },
    /** Fires a customer event and waits for the handler, as Shopify's event bus would. */
    async fire(name: string, event?: unknown) {
      const handler = handlers.get(name)
      assert.ok(handler, `the pixel subscribes to ${name}`)
      await handler(event)
    },
    calls(method?: string): Call[] {
      const queue = JSON.parse(JSON.stringify(Array.from(sandbox.ttq as unknown[]))) as Call[]
      return method ? queue.filter((call) => call[0] === method) : queue
    },
  }
}

/** A checkout_completed event shaped as Shopify's Web Pixels API documents it. */
function checkoutCompleted(orderId: unknown, checkout: Record<string, unknown> = {}) {
  return {
    id: 'sh-88153c5a-8f3b-4b1c-9f0e-2a1c7d3e4f5a',
    name: 'checkout_completed',
    timestamp: '2026-11-23T14:02:11.123Z',
    data: {
      checkout: {
        token: '7a1c2b3d4e5f60718293a4b5c6d7e8f9',
        currencyCode: 'EUR',
        totalPrice: { amount: 129.5, currencyCode: 'EUR' },
        order: { id: orderId },
        lineItems: [],
        ...checkout,
      },
    },
  }
}

function purchases(pixel: ReturnType<typeof loadPixel>) {
  return pixel.calls('track').filter((call) => call[1] === 'Purchase') as [string, string, Record<string, unknown>, { event_id: string }][]
}

test('the pixel loads TikTok\'s library with the merchant\'s pixel ID, through the documented base code', () => {
  const pixel = loadPixel()
  assert.deepEqual(
    pixel.scripts.map((s) => s.src),
    [`https://analytics.tiktok.com/i18n/pixel/events.js?sdkid=${PIXEL_ID}&lib=ttq`],
  )
  assert.ok(pixel.ttq()._i && PIXEL_ID in pixel.ttq()._i!, 'ttq.load registered the pixel')
  assert.deepEqual([...pixel.handlers.keys()].sort(), ['checkout_completed', 'page_viewed'])
})

test('left with the placeholder ID it loads nothing and says why, and a purchase still throws nothing', async () => {
  const pixel = loadPixel({ pixelId: 'PASTE_YOUR_PIXEL_ID_HERE' })
  assert.equal(pixel.scripts.length, 0)
  assert.match(pixel.warnings.join('\n'), /TIKTOK_PIXEL_ID/)
  await pixel.fire('checkout_completed', checkoutCompleted('gid://shopify/OrderIdentity/5396439498987'))
  assert.equal(purchases(pixel).length, 1, 'queued for when the merchant fixes the ID: nothing is lost or thrown')
})

test('each page view Shopify reports becomes ttq.page()', async () => {
  const pixel = loadPixel()
  await pixel.fire('page_viewed', { name: 'page_viewed', data: {} })
  await pixel.fire('page_viewed', { name: 'page_viewed', data: {} })
  assert.deepEqual(pixel.calls('page'), [['page'], ['page']])
})

test('Purchase carries event_id = eventId("Purchase", <numeric tail of checkout.order.id>), as the server event does', async () => {
  const orders: [unknown, string][] = [
    ['gid://shopify/OrderIdentity/5396439498987', '5396439498987'],
    ['gid://shopify/OrderIdentity/6021783912704', '6021783912704'],
    ['gid://shopify/Order/820982911946154508', '820982911946154508'],
    ['gid://shopify/OrderIdentity/1', '1'],
    ['gid://shopify/OrderIdentity/5396439498987?checkout=1', '5396439498987'],
    [' gid://shopify/OrderIdentity/450789469 ', '450789469'],
    ['5396439498987', '5396439498987'],
    [5396439498987, '5396439498987'],
  ]
  for (const [orderId, webhookId] of orders) {
    const pixel = loadPixel({ cookie: VISITOR })
    await pixel.fire('checkout_completed', checkoutCompleted(orderId))
    const sent = purchases(pixel)
    assert.equal(sent.length, 1, `one Purchase for ${String(orderId)}`)
    const [, , properties, options] = sent[0]!
    // The collector keys a Shopify order by the webhook's numeric `id` as a string.
    assert.equal(options.event_id, eventId('Purchase', webhookId), `event_id for ${String(orderId)}`)
    // The webhook's id as a JSON number gives the same key, while it is exact (below 2^53).
    if (Number.isSafeInteger(Number(webhookId))) assert.equal(options.event_id, eventId('Purchase', Number(webhookId)))
    assert.equal(properties.order_id, webhookId)
  }
})

test('for any numeric order id Shopify can give, the pixel\'s event_id is common/event-id.ts\'s', async () => {
  const pixel = loadPixel({ cookie: VISITOR })
  const ids: string[] = []
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String), fc.stringMatching(/^[0-9]{1,48}$/)),
      fc.constantFrom('OrderIdentity', 'Order'),
      async (id, type) => {
        ids.push(id)
        await pixel.fire('checkout_completed', checkoutCompleted(`gid://shopify/${type}/${id}`))
        const last = purchases(pixel).at(-1)!
        assert.equal(last[3].event_id, eventId('Purchase', id))
      },
    ),
    { numRuns: 300 },
  )
  assert.equal(purchases(pixel).length, ids.length)
})

test('value, currency and contents come from the checkout, content_id the product id as the webhook has it', async () => {
  const pixel = loadPixel({ cookie: VISITOR })
  await pixel.fire(
    'checkout_completed',
    checkoutCompleted('gid://shopify/OrderIdentity/5396439498987', {
      totalPrice: { amount: 129.5, currencyCode: 'EUR' },
      lineItems: [
        {
          title: 'Linen shirt',
          quantity: 2,
          variant: { id: '44610569208040', sku: 'SHIRT-L', price: { amount: 49.75, currencyCode: 'EUR' }, product: { id: '8266836345064', title: 'Linen shirt' } },
        },
        {
          title: 'Gift card',
          quantity: 1,
          variant: { id: 'gid://shopify/ProductVariant/44610569208041', sku: 'GIFT', price: { amount: 30 }, product: { id: 'gid://shopify/Product/8266836345065' } },
        },
        { title: 'Custom item', quantity: 1, variant: { sku: 'CUSTOM-1', price: { amount: 0 } } },
      ],
    }),
  )
  const [, , properties] = purchases(pixel)[0]!
  assert.deepEqual(properties, {
    content_type: 'product',
    order_id: '5396439498987',
    value: 129.5,
    currency: 'EUR',
    contents: [
      { content_id: '8266836345064', content_name: 'Linen shirt', quantity: 2, price: 49.75 },
      { content_id: '8266836345065', content_name: 'Gift card', quantity: 1, price: 30 },
      { content_id: 'CUSTOM-1', content_name: 'Custom item', quantity: 1, price: 0 },
    ],
  })
})

test('amounts are taken as numbers or numeric strings, and anything else is left out rather than sent as 0 or null', async () => {
  const pixel = loadPixel()
  const line = (amount: unknown) => ({ title: 'x', quantity: 1, variant: { sku: 'X', price: { amount } } })
  await pixel.fire(
    'checkout_completed',
    checkoutCompleted('gid://shopify/OrderIdentity/1', {
      totalPrice: { amount: '129.50', currencyCode: 'JPY' },
      lineItems: [line('49.75'), line(0), line(null), line(''), line('free'), line(-1), line(Infinity)],
    }),
  )
  const [, , properties] = purchases(pixel)[0]!
  assert.equal(properties.value, 129.5)
  assert.equal(properties.currency, 'JPY')
  assert.deepEqual(
    (properties.contents as { price?: number }[]).map((c) => c.price),
    [49.75, 0, undefined, undefined, undefined, undefined, undefined],
  )
  await pixel.fire('checkout_completed', checkoutCompleted('gid://shopify/OrderIdentity/2', { totalPrice: { amount: null } }))
  assert.equal('value' in purchases(pixel)[1]![2], false)
  assert.equal(purchases(pixel)[1]![2].currency, 'EUR', 'the checkout\'s currency when the total has none')
})

test('identify goes first, with cr_vid, email and phone hashed exactly as the collector hashes the server event\'s', async () => {
  const pixel = loadPixel({ cookie: VISITOR })
  await pixel.fire(
    'checkout_completed',
    checkoutCompleted('gid://shopify/OrderIdentity/5396439498987', { email: ' Alice.Buyer@Example.com ', phone: '+1 213-373-4253' }),
  )
  assert.deepEqual(pixel.cookieReads, ['cr_vid'])
  const calls = pixel.calls().filter((call) => call[0] === 'identify' || call[0] === 'track')
  assert.deepEqual(
    calls.map((call) => call[0]),
    ['identify', 'track'],
    'identify before track, so the library sends the match keys with the Purchase',
  )
  assert.deepEqual(calls[0]![1], {
    external_id: hashExternalId(VISITOR),
    email: hashEmail(' Alice.Buyer@Example.com '),
    phone_number: hashPhone('+1 213-373-4253', undefined),
  })
})

test('the cart attribute _cr_vid, the value the order webhook carries, wins over the cookie', async () => {
  const fromCart = 'CartAttr_vid-0000000001'
  const pixel = loadPixel({ cookie: VISITOR })
  await pixel.fire(
    'checkout_completed',
    checkoutCompleted('gid://shopify/OrderIdentity/5396439498987', {
      attributes: [
        { key: 'gift_note', value: 'Happy birthday' },
        { key: '_cr_vid', value: fromCart },
      ],
    }),
  )
  assert.deepEqual(pixel.calls('identify'), [['identify', { external_id: hashExternalId(fromCart) }]])
  assert.deepEqual(pixel.cookieReads, [], 'no need to ask the top frame')
})

test('a missing, malformed or unreadable cr_vid cookie: no external_id, the Purchase still goes', async () => {
  const cookies: unknown[] = [
    undefined,
    null,
    '',
    'short',
    'has spaces in it ok',
    'x'.repeat(65),
    'q3Vf8Jk2LmN0pQrS\n',
    '"q3Vf8Jk2LmN0pQrS"',
    { value: VISITOR },
    () => Promise.reject(new Error('top frame went away')),
    () => {
      throw new Error('sync failure')
    },
  ]
  for (const cookie of cookies) {
    const pixel = loadPixel({ cookie })
    await pixel.fire('checkout_completed', checkoutCompleted('gid://shopify/OrderIdentity/5396439498987'))
    assert.deepEqual(pixel.calls('identify'), [], `no identify for cookie ${String(cookie)}`)
    assert.equal(purchases(pixel)[0]?.[3].event_id, 'ord_5396439498987')
  }
  for (const browser of [undefined, null, {}, { cookie: {} }]) {
    const pixel = loadPixel({ browser })
    await pixel.fire('checkout_completed', checkoutCompleted('gid://shopify/OrderIdentity/5396439498987', { email: 'a@b.co' }))
    assert.deepEqual(pixel.calls('identify'), [['identify', { email: hashEmail('a@b.co') }]], `browser ${JSON.stringify(browser)}`)
    assert.equal(purchases(pixel).length, 1)
  }
})

test('without Web Crypto the pixel sends the Purchase and no unhashed match key', async () => {
  const pixel = loadPixel({ cookie: VISITOR, crypto: false })
  await pixel.fire('checkout_completed', checkoutCompleted('gid://shopify/OrderIdentity/5396439498987', { email: 'a@b.co', phone: '+12133734253' }))
  assert.deepEqual(pixel.calls('identify'), [])
  assert.equal(purchases(pixel).length, 1)
})

test('odd payloads never throw, and without a numeric order id no Purchase is sent (it could not pair)', async () => {
  const events: unknown[] = [
    undefined,
    null,
    {},
    { data: null },
    { data: { checkout: null } },
    { data: { checkout: { order: null } } },
    checkoutCompleted(undefined),
    checkoutCompleted(null),
    checkoutCompleted(''),
    checkoutCompleted('gid://shopify/OrderIdentity/'),
    checkoutCompleted('gid://shopify/OrderIdentity/abc'),
    checkoutCompleted('gid://shopify/OrderIdentity/-5'),
    checkoutCompleted('#1001'),
    checkoutCompleted('1'.repeat(49)),
    checkoutCompleted({ id: 5 }),
    checkoutCompleted(Number.NaN),
  ]
  const pixel = loadPixel({ cookie: VISITOR })
  for (const event of events) await pixel.fire('checkout_completed', event)
  assert.deepEqual(purchases(pixel), [])
  assert.equal(pixel.warnings.filter((w) => /no numeric order id/.test(w)).length, events.length)

  await pixel.fire(
    'checkout_completed',
    checkoutCompleted('gid://shopify/OrderIdentity/5396439498987', {
      totalPrice: null,
      currencyCode: undefined,
      email: 42,
      phone: { number: '+1' },
      attributes: 'nope',
      lineItems: [null, {}, { variant: null }, { quantity: 'two', variant: { price: null, product: null } }],
    }),
  )
  const [, , properties, options] = purchases(pixel)[0]!
  assert.equal(options.event_id, 'ord_5396439498987')
  assert.equal(properties.value, undefined)
  assert.equal((properties.contents as unknown[]).length, 3)

  await pixel.fire('checkout_completed', checkoutCompleted('gid://shopify/OrderIdentity/5396439498988', { lineItems: 'not a list' }))
  assert.deepEqual(purchases(pixel)[1]![2].contents, [])
})

test('a checkout_completed seen twice sends the same event_id twice, which TikTok drops as a duplicate', async () => {
  const pixel = loadPixel({ cookie: VISITOR })
  const event = checkoutCompleted('gid://shopify/OrderIdentity/5396439498987')
  await pixel.fire('checkout_completed', event)
  await pixel.fire('checkout_completed', event)
  assert.deepEqual(
    purchases(pixel).map((call) => call[3].event_id),
    ['ord_5396439498987', 'ord_5396439498987'],
  )
})

test('the file is one plain script in ES2017, the syntax the pixel sandbox\'s browsers all run', () => {
  acorn.parse(SOURCE, { ecmaVersion: 2017, sourceType: 'script' })
  assert.doesNotMatch(SOURCE, /^\s*(import|export)\b/m)
})
