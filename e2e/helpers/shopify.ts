/**
 * A Shopify storefront in miniature, on the worker's storefront (storefront.ts): a product page
 * that carries the ClickRelay tag with `data-platform="shopify"` and hands out a `cart` cookie
 * as a theme does, and stand-ins for the Ajax Cart API (`POST /cart/update.js`, `GET /cart.js`)
 * that keep each cart's attributes, so the test can put them into the order webhook's
 * `note_attributes` the way Shopify does.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import { createContext, Script } from 'node:vm'
import { SANDBOX_PIXEL_CODE } from '../../collector/src/config.js'
import { TIKTOK_IN_APP_IPHONE } from './devices.js'
import { html, tag, type Storefront } from './storefront.js'

const TIKTOK_USER_AGENT = TIKTOK_IN_APP_IPHONE.userAgent

export interface CartUpdate {
  /** The `cart` cookie the update came with: Shopify keys the cart on it. */
  cart: string | undefined
  contentType: string | undefined
  attributes: Record<string, string>
}

export interface ShopifyStore {
  /** The product page a shopper lands on. */
  productUrl: string
  /** Every `POST /cart/update.js` so far, in order. */
  updates(): CartUpdate[]
  /** A cart's attributes as Shopify holds them: what the order's `note_attributes` will carry. */
  attributes(cart: string): Record<string, string>
}

/** Shopify's cart token: the `cart` cookie's value, `<token>?key=<key>` in current themes. */
function newCartCookie(): string {
  return `${randomBytes(16).toString('hex')}?key=${randomBytes(16).toString('hex')}`
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return decodeURIComponent(value.join('='))
  }
  return undefined
}

/** Parses what /cart/update.js accepts: JSON `{attributes: {...}}`, or a form `attributes[name]=value`. */
function attributesIn(body: string, contentType: string | undefined): Record<string, string> {
  if (contentType?.includes('application/json')) {
    const parsed = JSON.parse(body) as { attributes?: Record<string, unknown> }
    return Object.fromEntries(Object.entries(parsed.attributes ?? {}).map(([name, value]) => [name, String(value)]))
  }
  const attributes: Record<string, string> = {}
  for (const [key, value] of new URLSearchParams(body)) {
    const match = /^attributes\[(.+)\]$/.exec(key)
    if (match) attributes[match[1]!] = value
  }
  return attributes
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(JSON.stringify(body))

/** Installs the fixture store on `store` (replacing any previous one there) and returns its handle. */
export function shopifyStore(store: Storefront, product = 'trail-jacket'): ShopifyStore {
  const updates: CartUpdate[] = []
  const carts = new Map<string, Record<string, string>>()
  const cartJson = (token: string) => ({ token, note: null, attributes: carts.get(token) ?? {}, item_count: 1, total_price: 5900, currency: 'EUR', items: [] })

  store.route(`/products/${product}`, (req, res) => {
    const headers: Record<string, string> = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }
    // As a theme's add-to-cart does on the first visit; the cookie is readable by scripts, as Shopify's is.
    if (!cookieOf(req, 'cart')) headers['Set-Cookie'] = `cart=${encodeURIComponent(newCartCookie())}; Path=/; SameSite=Lax; Max-Age=1209600`
    res.writeHead(200, headers).end(html(tag('data-platform="shopify"'), `<h1>Trail Jacket</h1><form action="/cart/add" method="post"><button>Add to cart</button></form>`))
  })
  store.route('/cart/update.js', (req, res, body) => {
    if (req.method !== 'POST') return json(res, 405, { status: 405, message: 'Method not allowed' })
    const cart = cookieOf(req, 'cart')
    const contentType = req.headers['content-type']
    let attributes: Record<string, string>
    try {
      attributes = attributesIn(body, contentType)
    } catch {
      return json(res, 400, { status: 'bad_request', message: 'Parameter Missing or Invalid', description: 'Required parameter missing or invalid: attributes' })
    }
    updates.push({ cart, contentType, attributes })
    if (!cart) return json(res, 200, cartJson(''))
    // Shopify merges: attributes not named are kept.
    carts.set(cart, { ...carts.get(cart), ...attributes })
    json(res, 200, cartJson(cart))
  })
  store.route('/cart.js', (req, res) => json(res, 200, cartJson(cookieOf(req, 'cart') ?? '')))

  return {
    productUrl: `${store.url}/products/${product}`,
    updates: () => updates.slice(),
    attributes: (cart) => ({ ...carts.get(cart) }),
  }
}

/**
 * A Shopify `orders/paid` webhook body, from the documented Order resource: the fields the
 * collector reads and, around them, enough of the rest that it sees a real order's shape.
 */
export function shopifyOrder(fields: {
  id: number
  cartToken: string
  noteAttributes: Array<{ name: string; value: string }>
  browserIp: string
  userAgent: string
  landingSite: string
  totalPrice: string
  currency: string
  email: string
}) {
  const now = new Date().toISOString()
  return {
    id: fields.id,
    admin_graphql_api_id: `gid://shopify/Order/${fields.id}`,
    app_id: 580111,
    browser_ip: fields.browserIp,
    buyer_accepts_marketing: false,
    cancel_reason: null,
    cancelled_at: null,
    cart_token: fields.cartToken,
    checkout_id: fields.id + 7,
    checkout_token: randomBytes(16).toString('hex'),
    client_details: { accept_language: 'en-US', browser_height: 844, browser_ip: fields.browserIp, browser_width: 390, session_hash: null, user_agent: fields.userAgent },
    confirmation_number: 'K7QX2M9PA',
    confirmed: true,
    contact_email: fields.email,
    created_at: now,
    currency: fields.currency,
    current_total_price: fields.totalPrice,
    email: fields.email,
    financial_status: 'paid',
    fulfillment_status: null,
    landing_site: fields.landingSite,
    landing_site_ref: null,
    name: '#1042',
    note: null,
    note_attributes: fields.noteAttributes,
    number: 42,
    order_number: 1042,
    phone: null,
    presentment_currency: fields.currency,
    processed_at: now,
    referring_site: '',
    source_name: 'web',
    subtotal_price: fields.totalPrice,
    tags: '',
    test: false,
    total_discounts: '0.00',
    total_price: fields.totalPrice,
    total_tax: '0.00',
    updated_at: now,
    billing_address: { first_name: 'Ada', last_name: 'Shopper', city: 'Berlin', country: 'Germany', country_code: 'DE', phone: null, zip: '10115' },
    customer: { id: 7039482910, email: fields.email, phone: null, first_name: 'Ada', last_name: 'Shopper', currency: fields.currency },
    line_items: [
      {
        id: fields.id + 1,
        admin_graphql_api_id: `gid://shopify/LineItem/${fields.id + 1}`,
        product_id: 8123456789,
        variant_id: 45123456789,
        sku: 'TRAIL-JKT-M',
        title: 'Trail Jacket',
        name: 'Trail Jacket - M',
        quantity: 1,
        price: fields.totalPrice,
        requires_shipping: true,
        taxable: true,
      },
    ],
    shipping_lines: [],
    refunds: [],
  }
}

/** Helper B's ready-to-paste Shopify custom pixel ("Customer events"). */
export const CUSTOM_PIXEL = fileURLToPath(new URL('../../integrations/shopify/custom-pixel.js', import.meta.url))

/** What a merchant replaces with their TikTok pixel ID when pasting the file. */
const PIXEL_ID_PLACEHOLDER = 'PASTE_YOUR_PIXEL_ID_HERE'

type Call = unknown[]

/**
 * The event_id the Shopify custom pixel gives the Purchase for the order `orderGid`: the file as a
 * merchant pastes it (with a pixel ID in place of the placeholder), run in a VM with stand-ins for what Shopify's sandbox provides (`analytics`,
 * `browser.cookie`, `init`) and for a page's `document`, then handed a `checkout_completed` event.
 * TikTok's base code queues every call (`ttq.track(...)` becomes `['track', ...]` on `ttq`, or on
 * `ttq._i[pixel]` for an instance), so the queue shows what the pixel library would send.
 */
export async function customPixelEventId(orderGid: string, visitorId: string): Promise<string> {
  const pasted = readFileSync(CUSTOM_PIXEL, 'utf8')
  if (!pasted.includes(PIXEL_ID_PLACEHOLDER)) throw new Error(`${CUSTOM_PIXEL} no longer has the placeholder ${PIXEL_ID_PLACEHOLDER} a merchant replaces with their pixel ID`)
  const source = pasted.replaceAll(PIXEL_ID_PLACEHOLDER, SANDBOX_PIXEL_CODE)
  const subscribers = new Map<string, Array<(event: unknown) => unknown>>()
  const cookies: Record<string, string> = { cr_vid: visitorId }
  const element = () => ({ setAttribute() {}, appendChild() {}, parentNode: { insertBefore() {} } })
  const sandbox: Record<string, unknown> = {
    analytics: {
      subscribe(name: string, callback: (event: unknown) => unknown) {
        subscribers.set(name, [...(subscribers.get(name) ?? []), callback])
      },
      publish() {},
    },
    browser: {
      cookie: { get: async (name: string) => cookies[name] ?? '', set: async () => {} },
      localStorage: { getItem: async () => null, setItem: async () => {}, removeItem: async () => {} },
      sessionStorage: { getItem: async () => null, setItem: async () => {}, removeItem: async () => {} },
    },
    init: { context: { document: { location: { href: 'https://checkout.example/thank-you' } } }, data: { customer: null, cart: null } },
    document: {
      createElement: element,
      getElementsByTagName: () => [element()],
      querySelector: () => null,
      head: element(),
      body: element(),
      cookie: '',
      location: { href: 'https://clickrelay-e2e.myshopify.com/checkouts/cn/thank-you', protocol: 'https:' },
      referrer: '',
    },
    location: { href: 'https://clickrelay-e2e.myshopify.com/checkouts/cn/thank-you', protocol: 'https:' },
    navigator: { userAgent: TIKTOK_USER_AGENT },
    console,
    setTimeout,
    clearTimeout,
    Promise,
    URL,
    URLSearchParams,
    TextEncoder,
    crypto: globalThis.crypto,
  }
  sandbox.window = sandbox
  sandbox.self = sandbox
  sandbox.globalThis = sandbox
  const context = createContext(sandbox)
  new Script(source, { filename: CUSTOM_PIXEL }).runInContext(context)

  const callbacks = subscribers.get('checkout_completed') ?? []
  if (callbacks.length === 0) throw new Error(`${CUSTOM_PIXEL} subscribed to no checkout_completed event (it subscribed to: ${[...subscribers.keys()].join(', ') || 'nothing'})`)
  const event = {
    id: 'sh-e2e-event',
    name: 'checkout_completed',
    timestamp: new Date().toISOString(),
    clientId: 'e2e-client',
    context: sandbox.init,
    data: {
      checkout: {
        token: randomBytes(16).toString('hex'),
        email: 'ada@example.com',
        currencyCode: 'EUR',
        totalPrice: { amount: 59, currencyCode: 'EUR' },
        subtotalPrice: { amount: 59, currencyCode: 'EUR' },
        order: { id: orderGid },
        lineItems: [{ id: 'gid://shopify/CartLine/1', quantity: 1, title: 'Trail Jacket', variant: { id: 'gid://shopify/ProductVariant/45123456789', sku: 'TRAIL-JKT-M', price: { amount: 59, currencyCode: 'EUR' }, product: { id: 'gid://shopify/Product/8123456789', title: 'Trail Jacket' } } }],
      },
    },
  }
  for (const callback of callbacks) await callback(event)
  // The cookie read and anything chained on it settle in later turns.
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))

  const ttq = sandbox.ttq as (Call[] & { _i?: Record<string, Call[]> }) | undefined
  if (!ttq) throw new Error(`${CUSTOM_PIXEL} set up no ttq`)
  const calls: Call[] = [...ttq, ...Object.values(ttq._i ?? {}).flatMap((queue) => [...queue])].filter(Array.isArray)
  const purchases = calls.filter((call) => call[0] === 'track' && (call[1] === 'Purchase' || call[1] === 'CompletePayment'))
  if (purchases.length !== 1) throw new Error(`the custom pixel queued ${purchases.length} Purchase calls, not 1: ${JSON.stringify(calls)}`)
  const options = purchases[0]![3] as { event_id?: unknown } | undefined
  if (typeof options?.event_id !== 'string') throw new Error(`the custom pixel's Purchase has no event_id: ${JSON.stringify(purchases[0])}`)
  return options.event_id
}
