/**
 * The collector behind real reverse proxies: nginx and Caddy from Debian, run by the test with
 * config files it writes, the README's snippets verbatim apart from their placeholders. In each
 * layout a shopper lands from an ad in a real browser, the click is stored, an order posted
 * through the proxy comes back with its ttclid, and the visitor cookie is first-party with the
 * right attributes. Names under shop.test resolve to 127.0.0.1 in the browser (helpers/browser.ts).
 */
import type { BrowserContext, Page } from '@playwright/test'
import { VISITOR_COOKIE } from '../common/wire.js'
import { E2E } from './helpers/env.js'
import {
  TLS,
  findBinary,
  freePort,
  orderReport,
  postOrder,
  readmeEnv,
  readmeSnippet,
  runDoctor,
  send,
  shopPage,
  startCaddy,
  startCollector,
  startNginx,
  startShop,
  type Collector,
  type Process,
} from './helpers/proxy.js'
import { parseSetCookie } from '../collector/src/doctor/site.js'
import { visitorIdOf } from './helpers/shop.js'
import { expect, test, unique } from './helpers/storefront.js'

const NGINX = findBinary('nginx')
const CADDY = findBinary('caddy')
const FOUR_HUNDRED_DAYS_S = 400 * 24 * 3600
const SHOP_HOST = `www.${E2E.shopDomain}`

// The TLS layouts use the suite's self-signed certificate for *.shop.test.
test.use({ ignoreHTTPSErrors: true })
// Each layout starts a collector (which may first rebuild itself), a proxy and a shop.
test.describe.configure({ timeout: 120_000 })

/** In CI the proxies must be there (.ci/run installs them); elsewhere the layouts that need a missing one are skipped. */
function requireBinary(name: 'nginx' | 'caddy', path: string | undefined): string {
  if (path) return path
  throw new Error(`${name} is not installed, and CI must run the reverse-proxy layouts: apt-get install ${name} (.ci/run does)`)
}
const missing = (name: string, path: string | undefined) => [!path && !process.env.CI, `${name} is not installed (Debian: apt-get install ${name}); skipping the ${name} layouts`] as const

interface Layout {
  /** Where the shopper lands: the shop's origin, e.g. https://www.shop.test:41234 */
  shopOrigin: string
  /** The collector's public base URL, through the proxy: /orders and /admin/ hang off it. */
  collectorUrl: string
  collector: Collector
  /** What the Set-Cookie and the cookie jar must say. */
  cookie: { domain: string; secure: boolean }
  stop(): Promise<void>
}

interface LayoutOptions {
  proxy: 'nginx' | 'caddy'
  tls: boolean
  /** Where the collector answers, relative to the shop: at its root, under /cr/, or on t.shop.test. */
  mount: 'root' | 'prefix' | 'subdomain'
  /** The proxy's config, given its port, the collector's and the shop's. */
  config(ports: { proxy: number; collector: number; shop: number }): string
  /** The collector's env beyond its basics, given the shop's origin and the proxy's port. */
  env(shopOrigin: string, port: number): Record<string, string>
}

/** A deployment that loses clicks, the mistake it makes, and what the 403 and the doctor must say to fix it. */
interface BrokenLayout extends LayoutOptions {
  title: string
  fix(shopOrigin: string): RegExp
}

async function startLayout(options: LayoutOptions): Promise<Layout> {
  const binary = options.proxy === 'nginx' ? requireBinary('nginx', NGINX) : requireBinary('caddy', CADDY)
  const proxyPort = await freePort()
  const scheme = options.tls ? 'https' : 'http'
  const shopOrigin = `${scheme}://${SHOP_HOST}:${proxyPort}`
  const collectorUrl = { root: shopOrigin, prefix: `${shopOrigin}/cr`, subdomain: `${scheme}://t.${E2E.shopDomain}:${proxyPort}` }[options.mount]
  const tag = {
    // As the README's install section says to paste it.
    root: `<script async src="${collectorUrl}/cr.js"></script>`,
    // As the README's reverse-proxy section says: no data-endpoint, the script finds /cr/collect by itself.
    prefix: `<script async src="/cr/cr.js"></script>`,
    subdomain: `<script async src="${collectorUrl}/cr.js" data-cookie-domain="${E2E.shopDomain}"></script>`,
  }[options.mount]

  const stops: Array<() => Promise<void>> = []
  try {
    const shop = await startShop(shopPage(tag))
    stops.push(() => shop.stop())
    const collector = await startCollector(options.env(shopOrigin, proxyPort))
    stops.unshift(() => collector.stop())
    const config = options.config({ proxy: proxyPort, collector: collector.port, shop: shop.port })
    const proxy: Process = options.proxy === 'nginx' ? await startNginx(binary, proxyPort, config) : await startCaddy(binary, proxyPort, config)
    stops.unshift(() => proxy.stop())
    const cookie = { domain: options.mount === 'subdomain' ? `.${E2E.shopDomain}` : SHOP_HOST, secure: options.tls }
    const stop = async () => {
      for (const s of stops) await s()
    }
    return { shopOrigin, collectorUrl, collector, cookie, stop }
  } catch (err) {
    for (const s of stops) await s()
    throw err
  }
}

/** Placeholders of the README's nginx snippets: the real ports, the test shop's name, the suite's certificate. */
const nginxPlaceholders = (ports: { proxy: number; collector: number; shop: number }): Array<[string, string]> => [
  ['listen 443 ssl;', `listen 127.0.0.1:${ports.proxy} ssl;`],
  ['server_name shop.example;', `server_name ${SHOP_HOST};`],
  ['/etc/letsencrypt/live/shop.example/fullchain.pem', TLS.cert],
  ['/etc/letsencrypt/live/shop.example/privkey.pem', TLS.key],
  ['127.0.0.1:8787', `127.0.0.1:${ports.collector}`],
  ['127.0.0.1:3000', `127.0.0.1:${ports.shop}`],
]

/** Placeholders of the README's Caddy snippets. The test's Caddy obtains no certificate, so it serves plain HTTP. */
const caddyPlaceholders = (ports: { proxy: number; collector: number; shop: number }): Array<[string, string]> => [
  ['shop.example {', `http://${SHOP_HOST}:${ports.proxy} {`],
  ['127.0.0.1:8787', `127.0.0.1:${ports.collector}`],
  ['127.0.0.1:3000', `127.0.0.1:${ports.shop}`],
]

/**
 * nginx's plainest proxy: `proxy_pass` alone rewrites Host to the upstream's, so the shop's host
 * reaches the collector only as X-Forwarded-Host, with the usual X-Forwarded-For and -Proto.
 */
const plainNginx = (tls: boolean) => (ports: { proxy: number; collector: number; shop: number }) => `
    server {
        listen 127.0.0.1:${ports.proxy}${tls ? ' ssl' : ''};
        server_name ${SHOP_HOST};
        ${tls ? `ssl_certificate ${TLS.cert};\n        ssl_certificate_key ${TLS.key};` : ''}

        location = / {
            proxy_pass http://127.0.0.1:${ports.shop};
        }

        location / {
            proxy_pass http://127.0.0.1:${ports.collector};
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
        }
    }`

/** The shop on www.shop.test, the collector on t.shop.test: two server blocks on one port. */
const subdomainNginx = (ports: { proxy: number; collector: number; shop: number }) => `
    server {
        listen 127.0.0.1:${ports.proxy};
        server_name ${SHOP_HOST};
        location / {
            proxy_pass http://127.0.0.1:${ports.shop};
        }
    }

    server {
        listen 127.0.0.1:${ports.proxy};
        server_name t.${E2E.shopDomain};
        location / {
            proxy_pass http://127.0.0.1:${ports.collector};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
        }
    }`

const LAYOUTS: Array<{ title: string } & LayoutOptions> = [
  {
    title: 'nginx with the plain proxy_pass (Host rewritten) and X-Forwarded-*, the collector trusting loopback',
    proxy: 'nginx',
    tls: false,
    mount: 'root',
    config: plainNginx(false),
    env: () => ({ CLICKRELAY_TRUST_PROXY: 'loopback' }),
  },
  {
    title: "nginx with the README's config at the site root, over TLS",
    proxy: 'nginx',
    tls: true,
    mount: 'root',
    config: (ports) => readmeSnippet('nginx-root', nginxPlaceholders(ports)),
    env: () => readmeEnv('env-root'),
  },
  {
    title: "nginx with the README's config under /cr/, over TLS, the tag without data-endpoint",
    proxy: 'nginx',
    tls: true,
    mount: 'prefix',
    config: (ports) => readmeSnippet('nginx-prefix', nginxPlaceholders(ports)),
    env: (shopOrigin) => readmeEnv('env-prefix', [['https://shop.example', shopOrigin]]),
  },
  {
    title: 'nginx with the collector on its own subdomain, CLICKRELAY_ALLOWED_ORIGINS and data-cookie-domain',
    proxy: 'nginx',
    tls: false,
    mount: 'subdomain',
    config: subdomainNginx,
    env: (shopOrigin) => ({ CLICKRELAY_TRUST_PROXY: 'loopback', CLICKRELAY_ALLOWED_ORIGINS: shopOrigin }),
  },
  {
    title: 'nginx terminating TLS in front of the plain proxy_pass, the collector told only by X-Forwarded-Proto',
    proxy: 'nginx',
    tls: true,
    mount: 'root',
    config: plainNginx(true),
    env: () => ({ CLICKRELAY_TRUST_PROXY: 'loopback' }),
  },
  {
    title: "Caddy with the README's config at the site root",
    proxy: 'caddy',
    tls: false,
    mount: 'root',
    config: (ports) => readmeSnippet('caddy-root', caddyPlaceholders(ports)),
    env: () => readmeEnv('env-root'),
  },
  {
    title: "Caddy with the README's config under /cr/",
    proxy: 'caddy',
    tls: false,
    mount: 'prefix',
    config: (ports) => readmeSnippet('caddy-prefix', caddyPlaceholders(ports)),
    // The README's public URL is https; this Caddy serves http, and the URL must say what the browser sees.
    env: (shopOrigin) => readmeEnv('env-prefix', [['https://shop.example', shopOrigin]]),
  },
]

for (const layout of LAYOUTS) {
  test.describe(layout.title, () => {
    test.skip(...missing(layout.proxy, layout.proxy === 'nginx' ? NGINX : CADDY))
    let setup: Layout
    test.beforeAll(async () => {
      setup = await startLayout(layout)
    })
    test.afterAll(async () => {
      await setup?.stop()
    })

    test(`a click lands, the order comes back with its ttclid, and the visitor cookie is first-party${layout.tls ? ' and Secure' : ''}`, async ({ page, context }) => {
      await clickLandsAndOrderCarriesIt(page, context, setup)
    })

    test('npm run doctor passes every check', async () => {
      const doctor = await runDoctor(`${setup.shopOrigin}/`)
      expect(doctor.code, doctor.output).toBe(0)
    })
  })
}

const BROKEN: BrokenLayout[] = [
  {
    title: 'nginx with the plain proxy_pass, the collector not trusting it',
    proxy: 'nginx',
    tls: false,
    mount: 'root',
    config: plainNginx(false),
    env: () => ({}),
    fix: () => /CLICKRELAY_TRUST_PROXY=loopback/,
  },
  {
    title: "nginx with the collector on its own subdomain, CLICKRELAY_ALLOWED_ORIGINS missing the shop",
    proxy: 'nginx',
    tls: false,
    mount: 'subdomain',
    config: subdomainNginx,
    env: (_shopOrigin, port) => ({ CLICKRELAY_TRUST_PROXY: 'loopback', CLICKRELAY_ALLOWED_ORIGINS: `http://blog.${E2E.shopDomain}:${port}` }),
    // The collector names the refused origin and the variable; the doctor, which knows the shop, names the value to add.
    fix: (shopOrigin) => {
      const origin = shopOrigin.replace(/[.:/]/g, '\\$&')
      return new RegExp(`${origin}.*add that origin to CLICKRELAY_ALLOWED_ORIGINS|CLICKRELAY_ALLOWED_ORIGINS.*${origin}`)
    },
  },
]

for (const layout of BROKEN) {
  test.describe(layout.title, () => {
    test.skip(...missing(layout.proxy, NGINX))
    let setup: Layout
    test.beforeAll(async () => {
      setup = await startLayout(layout)
    })
    test.afterAll(async () => {
      await setup?.stop()
    })

    test("the shop's click is refused, counted, and the 403 and /admin/status say how to fix it", async ({ page }) => {
      const ttclid = `E.C.P.${unique('proxy-refused')}`
      const sent = page.waitForRequest((request) => request.url() === `${setup.collectorUrl}/collect` && request.method() === 'POST')
      await page.goto(`${setup.shopOrigin}/?ttclid=${ttclid}`)
      const response = await (await sent).response()
      if (layout.mount === 'subdomain') {
        // Refused cross-origin, the 403 carries no CORS headers: the page cannot even read it.
        expect(response, 'the browser blocks the answer').toBeNull()
      } else {
        expect(response?.status()).toBe(403)
        expect(await response?.json()).toEqual({ error: { code: 'origin_not_allowed', message: expect.stringMatching(layout.fix(setup.shopOrigin)) } })
      }
      const answer = await send(`${setup.collectorUrl}/admin/status`, { headers: { Authorization: `Bearer ${E2E.adminToken}` } })
      expect(answer.status, answer.body).toBe(200)
      const status = JSON.parse(answer.body) as { refusals: { last_hour: Record<string, number> }; problems: Array<{ message: string }> }
      expect(status.refusals.last_hour.origin, 'the refusal is counted').toBeGreaterThanOrEqual(1)
      expect(status.problems, 'and shown with its fix').toContainEqual(expect.objectContaining({ message: expect.stringMatching(layout.fix(setup.shopOrigin)) }))
      expect(setup.collector.clicks(ttclid), 'nothing stored').toEqual([])
    })

    test('npm run doctor exits 1 and names the fix', async () => {
      const doctor = await runDoctor(`${setup.shopOrigin}/`)
      expect(doctor.code, doctor.output).toBe(1)
      const failures = doctor.output.split('\n').filter((line) => /^\s*✗/.test(line))
      expect(failures, doctor.output).toContainEqual(expect.stringMatching(layout.fix(setup.shopOrigin)))
    })
  })
}

/** The shopper's journey through `setup`, and what the collector and the browser keep of it. */
async function clickLandsAndOrderCarriesIt(page: Page, context: BrowserContext, setup: Layout): Promise<void> {
  const ttclid = `E.C.P.${unique('proxy')}`
  const collectUrl = `${setup.collectorUrl}/collect`
  // Any click record the page sends, wherever it goes: one sent to the wrong place fails here at once.
  const answered = page.waitForResponse((response) => new URL(response.url()).pathname.endsWith('/collect') && response.request().method() === 'POST')
  await page.goto(`${setup.shopOrigin}/?ttclid=${ttclid}`)
  const answer = await answered
  expect(answer.url(), 'the script finds the collector by itself').toBe(collectUrl)
  expect(answer.status(), `POST ${collectUrl} answered ${answer.status()}: ${await answer.text()}\n${setup.collector.output()}`).toBe(200)

  // The collector's own cookie, as it set it through the proxy.
  const setCookie = await answer.headerValue('set-cookie')
  expect(setCookie, "the collector's Set-Cookie").toBeTruthy()
  const cookie = parseSetCookie(setCookie!)
  expect(cookie.name).toBe(VISITOR_COOKIE)
  expect(Object.fromEntries(cookie.attributes)).toMatchObject({ 'max-age': String(FOUR_HUNDRED_DAYS_S), path: '/', samesite: 'Lax' })
  expect(cookie.attributes.has('secure'), 'Secure exactly when the shop is https').toBe(setup.cookie.secure)
  expect(cookie.attributes.get('domain'), 'Domain only with data-cookie-domain').toBe(setup.cookie.domain.startsWith('.') ? setup.cookie.domain.slice(1) : undefined)

  // The click, stored under the visitor the page ended up with, the one in the collector's cookie.
  const visitorId = await visitorIdOf(page)
  expect(visitorId).toBe(cookie.value)
  await expect.poll(() => setup.collector.clicks(ttclid), { message: `clicks with ttclid ${ttclid}` }).toEqual([{ visitor_id: visitorId }])

  // One cookie in the browser's jar (the script's and the collector's are the same cookie).
  const cookies = (await context.cookies()).filter((c) => c.name === VISITOR_COOKIE)
  expect(cookies).toEqual([expect.objectContaining({ value: visitorId, domain: setup.cookie.domain, path: '/', sameSite: 'Lax', secure: setup.cookie.secure })])
  const daysLeft = (cookies[0]!.expires - Date.now() / 1000) / 86_400
  expect(daysLeft, 'expires in about 400 days').toBeGreaterThan(399.9)
  expect(daysLeft).toBeLessThanOrEqual(400.01)

  // The merchant's backend posts the paid order through the proxy, with the visitor from the cookie.
  const orderId = unique('proxy-order')
  const accepted = await postOrder(setup.collectorUrl, { order_id: orderId, value: 42, currency: 'USD', url: `${setup.shopOrigin}/thank-you`, visitor_id: visitorId, ip: '203.0.113.7', user_agent: 'Mozilla/5.0' })
  expect(accepted.status, `POST /orders: ${accepted.body}`).toBe(201)
  expect((await orderReport(setup.collectorUrl, orderId)).attribution).toMatchObject({ ttclid, linked_by: 'visitor_id' })
}
