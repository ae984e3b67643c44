/*
 * ClickRelay: the TikTok pixel's Purchase on Shopify's thank-you page.
 *
 * Shopify's checkout no longer runs theme scripts, so cr.js cannot pair the pixel there. This
 * custom pixel fires the TikTok pixel's Purchase itself, with the event_id ClickRelay's server
 * event for the same order carries: eventId('Purchase', <order id>) = "ord_<order id>"
 * (common/event-id.ts). TikTok then counts the purchase once.
 *
 * Install: Shopify admin > Settings > Customer events > Add custom pixel, name it "ClickRelay
 * TikTok", under Customer privacy set Permission to "Marketing" (Shopify then runs it only for
 * visitors who allowed marketing), paste this whole file, put your pixel ID below, Save, Connect.
 *
 * It runs in Shopify's web-pixel sandbox: an iframe with its own document, the globals
 * `analytics`, `browser` and `init`, and no access to the shop page's DOM.
 *
 * Two assumptions nobody has confirmed yet; check them in TikTok's Test events before going live
 * (README, "Testing dedup in TikTok's test mode"):
 *
 *  1. The number at the end of `checkout.order.id` (gid://shopify/OrderIdentity/5396439498987)
 *     is the order `id` in Shopify's order webhook (5396439498987), the key the server event's
 *     event_id is made from. If it is not, the two events carry different event_ids and the
 *     purchase counts twice: Test events then shows two Purchases for one order.
 *
 *  2. Shopify's TikTok sales channel app fires a Purchase of its own, with an event_id of its own
 *     (the app does not publish how it makes it). If the app's pixel or data sharing is on for the
 *     same TikTok pixel, turn its Purchase off, or every purchase counts twice.
 */

// ─── Your TikTok pixel ID ──────────────────────────────────────────────────────────────────────
// TikTok Events Manager > your pixel: the ID shown under its name (20 letters and digits).
const TIKTOK_PIXEL_ID = 'PASTE_YOUR_PIXEL_ID_HERE'

// The event name your collector sends: CLICKRELAY_PURCHASE_EVENT (Purchase unless you changed it).
// Pixel and server must use the same name for TikTok to pair them.
const PURCHASE_EVENT = 'Purchase'
// ───────────────────────────────────────────────────────────────────────────────────────────────

/** ClickRelay's visitor ID: the cr_vid cookie cr.js sets, written into the cart as the attribute _cr_vid. */
const VISITOR_COOKIE = 'cr_vid'
const VISITOR_ATTRIBUTE = '_cr_vid'
const VISITOR_ID = /^[\w-]{16,64}$/
/** The order's numeric id at the end of a Shopify GID (gid://shopify/OrderIdentity/5396439498987, maybe with ?parameters), or alone. */
const ORDER_GID = /^(?:gid:\/\/shopify\/\w+\/)?(\d{1,48})(?:\?.*)?$/
const SHA256_HEX = /^[0-9a-f]{64}$/

// ─── TikTok's pixel base code, as Events Manager gives it (HTML removed, ttq.page() moved below) ─
try {
  !function (w, d, t) {
    w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track","identify","instances","debug","on","off","once","ready","alias","group","enableCookie","disableCookie","holdConsent","revokeConsent","grantConsent"],ttq.setAndDefer=function(t,e){t[e]=function(){t.push([e].concat(Array.prototype.slice.call(arguments,0)))}};for(var i=0;i<ttq.methods.length;i++)ttq.setAndDefer(ttq,ttq.methods[i]);ttq.instance=function(t){for(
    var e=ttq._i[t]||[],n=0;n<ttq.methods.length;n++)ttq.setAndDefer(e,ttq.methods[n]);return e},ttq.load=function(e,n){var r="https://analytics.tiktok.com/i18n/pixel/events.js",o=n&&n.partner;ttq._i=ttq._i||{},ttq._i[e]=[],ttq._i[e]._u=r,ttq._t=ttq._t||{},ttq._t[e]=+new Date,ttq._o=ttq._o||{},ttq._o[e]=n||{};n=document.createElement("script")
    ;n.type="text/javascript",n.async=!0,n.src=r+"?sdkid="+e+"&lib="+t;e=document.getElementsByTagName("script")[0];e.parentNode.insertBefore(n,e)};

    if (TIKTOK_PIXEL_ID.indexOf('PASTE_') === 0) console.warn('ClickRelay custom pixel: put your TikTok pixel ID in TIKTOK_PIXEL_ID')
    else ttq.load(TIKTOK_PIXEL_ID)
  }(window, document, 'ttq');
} catch (e) {
  // A sandbox without the DOM the base code expects: the calls below still queue, and nothing throws.
}

// Shopify keeps this sandbox alive across checkout steps, so a page view is an event, not a load.
// (If your theme loads the TikTok pixel too, storefront pages are counted by both: page views
// only, never purchases.)
analytics.subscribe('page_viewed', () => {
  try {
    window.ttq.page()
  } catch (e) {}
})

analytics.subscribe('checkout_completed', async (event) => {
  try {
    const checkout = (event && event.data && event.data.checkout) || {}
    const orderKey = orderKeyOf(checkout)
    if (!orderKey) {
      // Without the order's id there is no event_id the server event shares: a Purchase sent now
      // would count twice. The server event alone carries the purchase.
      console.warn('ClickRelay custom pixel: no numeric order id in checkout.order.id, Purchase not sent')
      return
    }
    // Match keys first, so the library sends them with the Purchase (calls leave in order).
    await identify(checkout)
    window.ttq.track(PURCHASE_EVENT, purchaseProperties(checkout, orderKey), { event_id: orderEventId(orderKey) })
  } catch (e) {
    // Never throw into Shopify's sandbox; the server event still carries the purchase.
  }
})

/** The webhook's order id, as the collector keys the order: "5396439498987". */
function orderKeyOf(checkout) {
  const id = checkout.order && checkout.order.id
  const match = id != null && ORDER_GID.exec(String(id).trim())
  return match ? match[1] : undefined
}

/**
 * common/event-id.ts's eventId('Purchase', orderKey) for the keys orderKeyOf() gives (1 to 48
 * digits, which eventId keeps as they are): "ord_5396439498987". The test runs both side by side.
 */
function orderEventId(orderKey) {
  return 'ord_' + orderKey
}

function purchaseProperties(checkout, orderKey) {
  const properties = { content_type: 'product', order_id: orderKey }
  const total = checkout.totalPrice || {}
  const value = amountOf(total)
  const currency = total.currencyCode || checkout.currencyCode
  if (value !== undefined) properties.value = value
  if (currency) properties.currency = currency
  const lines = Array.isArray(checkout.lineItems) ? checkout.lineItems : []
  properties.contents = lines.filter(Boolean).map(contentOf)
  return properties
}

/** One line item as TikTok's contents entry; content_id is the product id (its numeric tail), else the SKU. */
function contentOf(line) {
  const variant = line.variant || {}
  const product = variant.product || {}
  const productId = product.id != null && /(\d+)$/.exec(String(product.id))
  const content = { content_id: productId ? productId[1] : variant.sku || undefined, content_name: line.title || product.title, quantity: line.quantity }
  const price = amountOf(variant.price)
  if (price !== undefined) content.price = price
  return content
}

/** A MoneyV2's amount as a number, or undefined when it is missing or not an amount. */
function amountOf(money) {
  const amount = money ? money.amount : undefined
  const value = typeof amount === 'number' ? amount : typeof amount === 'string' && amount.trim() ? Number(amount) : NaN
  return value >= 0 && value < Infinity ? value : undefined
}

/**
 * ttq.identify with SHA-256 hashes made exactly as the collector makes its server event's
 * (collector/src/hashing.ts), so the pixel's match keys are the server's: external_id is the hash
 * of the visitor ID, email is trimmed and lowercased, phone is E.164. Only hashes leave the page.
 */
async function identify(checkout) {
  if (!(typeof crypto !== 'undefined' && crypto.subtle)) return
  const fields = {}
  const visitorId = await visitorIdOf(checkout)
  if (visitorId) fields.external_id = SHA256_HEX.test(visitorId) ? visitorId : await sha256(visitorId)
  const email = normalizeEmail(checkout.email)
  if (email) fields.email = await sha256(email)
  const phone = normalizePhone(checkout.phone || (checkout.billingAddress && checkout.billingAddress.phone))
  if (phone) fields.phone_number = await sha256(phone)
  if (fields.external_id || fields.email || fields.phone_number) window.ttq.identify(fields)
}

/**
 * The visitor ID the order webhook will carry: the cart attribute _cr_vid when the checkout shows
 * it (the very value the server hashes), else the cr_vid cookie, read from the shop's page.
 */
async function visitorIdOf(checkout) {
  const attributes = Array.isArray(checkout.attributes) ? checkout.attributes : []
  for (const attribute of attributes) {
    if (attribute && attribute.key === VISITOR_ATTRIBUTE && VISITOR_ID.test(attribute.value)) return attribute.value
  }
  try {
    const cookie = await browser.cookie.get(VISITOR_COOKIE)
    return typeof cookie === 'string' && VISITOR_ID.test(cookie) ? cookie : undefined
  } catch (e) {
    return undefined
  }
}

function normalizeEmail(raw) {
  const email = typeof raw === 'string' ? raw.trim().toLowerCase() : ''
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : undefined
}

/** E.164 only when the number says its country itself (+ or 00); the server's libphonenumber does the rest. */
function normalizePhone(raw) {
  const phone = typeof raw === 'string' ? raw.replace(/[\s().\/-]/g, '').replace(/^00/, '+') : ''
  return /^\+[1-9]\d{6,14}$/.test(phone) ? phone : undefined
}

async function sha256(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (byte) => ('0' + byte.toString(16)).slice(-2)).join('')
}
