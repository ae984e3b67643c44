/**
 * The Shopify cart attribute, in Node: document.cookie, localStorage, fetch and XMLHttpRequest
 * are small stand-ins set on globalThis (this file runs in a process of its own under node --test).
 * Chromium runs the real thing in e2e/shopify.spec.ts.
 */
import assert from 'node:assert/strict'
import { beforeEach, test } from 'node:test'
import { afterCartRequests, cartAttribute, isCartRequest, WRITTEN_KEY } from '../src/shopify-cart.js'

const VISITOR = 'vIsItOr_0123456789ab'
const NEXT = 'nExTvIsItOr_0123456789'

let cookie = ''
const storage = new Map<string, string>()
function setGlobal(name: string, value: unknown): void {
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true })
}
setGlobal('window', globalThis)
setGlobal('document', {
  get cookie() {
    return cookie
  },
})
setGlobal('localStorage', {
  getItem: (key: string) => storage.get(key) ?? null,
  setItem: (key: string, value: string) => void storage.set(key, String(value)),
  removeItem: (key: string) => void storage.delete(key),
})

interface Sent {
  url: string
  init: RequestInit
}

/** A stand-in for fetch that records each request and answers it as `answer` says. */
function fakeFetch(answer: (sent: Sent) => Promise<{ ok: boolean }> = () => Promise.resolve({ ok: true })) {
  const sent: Sent[] = []
  const post = ((url: string, init: RequestInit) => {
    sent.push({ url, init })
    return answer({ url, init })
  }) as unknown as typeof fetch
  return { post, sent }
}

const settle = () => new Promise((resolve) => setTimeout(resolve))

beforeEach(() => {
  cookie = ''
  storage.clear()
})

test('the visitor ID is written to the cart as _cr_vid with POST /cart/update.js and a JSON body', async () => {
  cookie = '_shopify_y=abc; cart=c1-7a2abe%3Fkey%3D824b; cart_sig=x'
  const { post, sent } = fakeFetch()
  cartAttribute(() => VISITOR, post)()
  assert.equal(sent.length, 1)
  assert.equal(sent[0]!.url, '/cart/update.js')
  assert.equal(sent[0]!.init.method, 'POST')
  assert.deepEqual(sent[0]!.init.headers, { 'Content-Type': 'application/json', Accept: 'application/json' })
  assert.deepEqual(JSON.parse(sent[0]!.init.body as string), { attributes: { _cr_vid: VISITOR } })
  await settle()
  assert.equal(storage.get(WRITTEN_KEY), `c1-7a2abe%3Fkey%3D824b ${VISITOR}`)
})

test('once per cart and visitor ID: not again from the same page, nor from the next one', async () => {
  cookie = 'cart=c1-one'
  const { post, sent } = fakeFetch()
  const sync = cartAttribute(() => VISITOR, post)
  sync()
  sync()
  await settle()
  sync()
  cartAttribute(() => VISITOR, post)()
  assert.equal(sent.length, 1)
})

test('no cart, no request: a cart is never created for us; the one add-to-cart creates later gets the ID', async () => {
  const { post, sent } = fakeFetch()
  const sync = cartAttribute(() => VISITOR, post)
  sync()
  assert.equal(sent.length, 0)
  cookie = 'cart=c1-new'
  sync()
  assert.equal(sent.length, 1)
})

test('a new visitor ID for the same cart, and a new cart for the same visitor, are written again', async () => {
  cookie = 'cart=c1-one'
  let visitor = VISITOR
  const { post, sent } = fakeFetch()
  const sync = cartAttribute(() => visitor, post)
  sync()
  await settle()
  visitor = NEXT
  sync()
  await settle()
  cookie = 'cart=c1-two'
  sync()
  await settle()
  assert.deepEqual(
    sent.map((s) => JSON.parse(s.init.body as string).attributes._cr_vid),
    [VISITOR, NEXT, NEXT],
  )
  assert.equal(storage.get(WRITTEN_KEY), `c1-two ${NEXT}`)
})

test('without a visitor ID (none yet, or consent withdrawn) nothing is sent and the written pair is forgotten', async () => {
  cookie = 'cart=c1-one'
  let visitor: string | undefined = VISITOR
  const { post, sent } = fakeFetch()
  const sync = cartAttribute(() => visitor, post)
  sync()
  await settle()
  visitor = undefined
  sync()
  assert.equal(sent.length, 1)
  assert.equal(storage.has(WRITTEN_KEY), false)
})

test('a refused or failed write is not remembered: the next page tries again, this one does not insist', async () => {
  cookie = 'cart=c1-one'
  const refused = fakeFetch(() => Promise.resolve({ ok: false }))
  const sync = cartAttribute(() => VISITOR, refused.post)
  sync()
  await settle()
  sync()
  assert.equal(refused.sent.length, 1)
  assert.equal(storage.has(WRITTEN_KEY), false)

  const offline = fakeFetch(() => Promise.reject(new TypeError('Failed to fetch')))
  cartAttribute(() => VISITOR, offline.post)()
  await settle()
  assert.equal(offline.sent.length, 1)
  assert.equal(storage.has(WRITTEN_KEY), false)
})

test('when Shopify answers with a new cart (the old one had expired), the pair written is the new cart', async () => {
  cookie = 'cart=c1-expired'
  const { post } = fakeFetch(() => {
    cookie = 'cart=c1-fresh'
    return Promise.resolve({ ok: true })
  })
  cartAttribute(() => VISITOR, post)()
  await settle()
  assert.equal(storage.get(WRITTEN_KEY), `c1-fresh ${VISITOR}`)
})

test('storage that throws costs one write per page, and no error', async () => {
  cookie = 'cart=c1-one'
  setGlobal('localStorage', {
    getItem() {
      throw new DOMException('denied', 'SecurityError')
    },
    setItem() {
      throw new DOMException('denied', 'SecurityError')
    },
    removeItem() {
      throw new DOMException('denied', 'SecurityError')
    },
  })
  try {
    const { post, sent } = fakeFetch()
    cartAttribute(() => VISITOR, post)()
    await settle()
    cartAttribute(() => undefined, post)()
    assert.equal(sent.length, 1)
  } finally {
    setGlobal('localStorage', {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => void storage.set(key, String(value)),
      removeItem: (key: string) => void storage.delete(key),
    })
  }
})

test('isCartRequest: the Ajax Cart API calls that may make a new cart, under any locale prefix', () => {
  for (const url of ['/cart/add', '/cart/add.js', 'https://shop.example/cart/add.js?sections=cart-drawer', '/fr/cart/change.js', '/cart/update.js', '/cart/clear']) {
    assert.equal(isCartRequest(url), true, url)
  }
  for (const url of ['/cart', '/cart.js', '/cart/addresses', '/products/cart-add', '/collections/all']) {
    assert.equal(isCartRequest(url), false, url)
  }
})

/** A stand-in XMLHttpRequest class, new for each test (the hook wraps its prototype): records open() calls and listeners. */
function fakeXhrClass() {
  const opened: unknown[][] = []
  class FakeXhr {
    listeners: Array<[string, () => void]> = []
    open(...args: unknown[]): string {
      opened.push(args)
      return 'opened'
    }
    addEventListener(type: string, listener: () => void): void {
      this.listeners.push([type, listener])
    }
  }
  setGlobal('XMLHttpRequest', FakeXhr)
  return { opened, create: () => new XMLHttpRequest() as unknown as XMLHttpRequest & FakeXhr }
}

test("the fetch hook calls the page's fetch once, with its arguments, and hands back its very promise", async () => {
  const calls: unknown[][] = []
  const answers = new Map<string, Promise<unknown>>()
  function pageFetch(this: unknown, ...args: unknown[]) {
    calls.push([this, ...args])
    const answer = String(args[0]).includes('fail') ? Promise.reject(new TypeError('Failed to fetch')) : Promise.resolve({ ok: true })
    answers.set(String(args[0]), answer)
    return answer
  }
  setGlobal('fetch', pageFetch)
  fakeXhrClass()
  let after = 0
  afterCartRequests(() => after++)

  const init = { method: 'POST', body: 'id=1&quantity=1' }
  const returned = window.fetch('/cart/add', init)
  assert.equal(returned, answers.get('/cart/add'))
  assert.deepEqual(calls, [[globalThis, '/cart/add', init]])
  await returned
  await settle()
  assert.equal(after, 1, 'called once the cart request is answered')

  await window.fetch('/products/boots.js')
  await window.fetch(new URL('https://shop.example/cart/change.js'))
  await window.fetch({ url: 'https://shop.example/cart/update.js' } as Request)
  await settle()
  assert.equal(after, 3, 'a URL object and a Request are cart requests too; a product is not')

  await assert.rejects(window.fetch('/cart/add.js?fail'), TypeError, "the page sees its own failure, and no unhandled rejection of ours")
  await settle()
  assert.equal(after, 4)
  assert.equal(calls.length, 5)
})

test("our own error after a cart request stays with us: the page's fetch and XHR behave as before", async () => {
  setGlobal('fetch', () => Promise.resolve({ ok: true }))
  const xhrs = fakeXhrClass()
  afterCartRequests(() => {
    throw new Error('ours')
  })
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  try {
    assert.deepEqual(await window.fetch('/cart/add.js'), { ok: true })
    await settle()
    const xhr = xhrs.create()
    assert.equal(xhr.open('POST', '/cart/add.js'), 'opened')
    assert.deepEqual(xhrs.opened, [['POST', '/cart/add.js']])
    assert.deepEqual(
      xhr.listeners.map(([type]) => type),
      ['loadend'],
    )
    xhr.listeners[0]![1]()
    const other = xhrs.create()
    other.open('GET', '/products/boots.js', true)
    assert.deepEqual(other.listeners, [], 'no listener for other requests')
    assert.deepEqual(xhrs.opened[1], ['GET', '/products/boots.js', true])
    assert.deepEqual(unhandled, [])
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})
