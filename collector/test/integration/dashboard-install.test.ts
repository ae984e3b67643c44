/**
 * The dashboard's Install page (issue 12, page 5), over real HTTP against a sandbox collector on
 * a free port with the admin and viewer tokens: the tag its form makes (markup typed into a field
 * shown as text), the README's proxy snippets with this collector's address, the install check run
 * from the server (against the collector's own demo store, and a small shop served here whose
 * origin is in CLICKRELAY_ALLOWED_ORIGINS), which fetches nothing outside the configured origins,
 * the viewer's check without the admin token, and the admin-only secrets page.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { findTag, formatTag } from '../../src/doctor/tag.js'
import { createLogger } from '../../src/log.js'
import { ROOT } from '../../src/paths.js'
import { startCollector, type RunningCollector } from '../../src/server.js'
import { ADMIN_TOKEN, readRows } from '../harness.js'
import { dashboardClient } from '../dashboard-client.js'

const VIEWER_TOKEN = 'viewer-token-for-tests-987654321'
const SHOPIFY_SECRET = 'shopify-webhook-secret-for-tests-42'

/** A small web server standing for a site, counting what reaches it. */
interface Site {
  origin: string
  hits: string[]
  close(): Promise<void>
}

async function startSite(pages: (origin: string) => Record<string, { status?: number; headers?: Record<string, string>; body?: string }>): Promise<Site> {
  const hits: string[] = []
  let origin = ''
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`)
    const page = pages(origin)[req.url ?? '']
    if (!page) {
      res.writeHead(404).end('not here')
      return
    }
    res.writeHead(page.status ?? 200, { 'Content-Type': 'text/html; charset=utf-8', ...page.headers }).end(page.body ?? '')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { origin, hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

const shopPage = (tagSrc: string) => `<!doctype html><html><head><meta charset="utf-8"><script async src="${tagSrc}"></script><title>Shop</title></head><body><h1>Shop</h1></body></html>`

let dir: string
let logs = ''
let collector: RunningCollector
/** Elsewhere: an origin no setting names. Nothing may ever reach it. */
let outside: Site
/** The shop, on an origin listed in CLICKRELAY_ALLOWED_ORIGINS. */
let shop: Site

/** Sessions read their CSRF token from the Install page, so each also checks that it opens. */
const { request, session } = dashboardClient(() => collector.url, { csrfFrom: '/admin/install' })

const check = (who: { cookie: string; csrf: string }, url: string) => request('/admin/install/check', { cookie: who.cookie, form: { _csrf: who.csrf, url } })

/** Text as the page shows it: Eta's escapes undone. */
const unescape = (html: string) => html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
/** The tag to copy, as text. */
const tagOf = (html: string) => {
  const match = /<pre class="payload tag-copy"><code>([^<]*)<\/code><\/pre>/.exec(html)
  return match ? unescape(match[1]!) : undefined
}
/** The checklist's lines: status and summary, in order. */
const checklistOf = (html: string) => [...html.matchAll(/<li class="(pass|warn|fail|skip)">\s*<span class="pill[^"]*">.*?<\/span>\s*<span class="summary">([^<]*)<\/span>/g)].map((m) => ({ status: m[1]!, summary: unescape(m[2]!) }))
const line = (html: string, pattern: RegExp) => {
  const found = checklistOf(html).find((c) => pattern.test(c.summary))
  assert.ok(found, `a checklist line matching ${pattern} in:\n${checklistOf(html).map((c) => `${c.status} ${c.summary}`).join('\n')}`)
  return found
}

/** The README's fenced block after `<!-- snippet: name -->`, as e2e/proxy.spec.ts reads it. */
function readmeSnippet(name: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const at = readme.indexOf(`<!-- snippet: ${name} -->`)
  assert.ok(at >= 0, `README.md has the snippet ${name}`)
  return /^```[^\n]*\n([\s\S]*?)^```/m.exec(readme.slice(at))![1]!
}

describe('dashboard: install', () => {
  before(async () => {
    outside = await startSite(() => ({ '/': { body: '<!doctype html><title>elsewhere</title>' } }))
    shop = await startSite((origin) => ({
      '/': { body: shopPage(`${collector.url}/cr.js`) },
      '/tag-elsewhere': { body: shopPage(`${outside.origin}/cr.js`) },
      '/moved': { status: 302, headers: { Location: `${outside.origin}/` } },
      '/moved-here': { status: 301, headers: { Location: `${origin}/` } },
      // A page whose tag points at the shop's own server (a typo, or whoever edits the shop's HTML).
      '/tag-on-shop': { body: shopPage(`${origin}/cr.js`) },
    }))
    dir = mkdtempSync(join(tmpdir(), 'clickrelay-install-'))
    const config = loadConfig({
      PORT: '0',
      CLICKRELAY_MODE: 'sandbox',
      CLICKRELAY_DB: join(dir, 'db.sqlite'),
      CLICKRELAY_ADMIN_TOKEN: ADMIN_TOKEN,
      CLICKRELAY_VIEWER_TOKEN: VIEWER_TOKEN,
      CLICKRELAY_ALLOWED_ORIGINS: shop.origin,
      CLICKRELAY_SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
      CLICKRELAY_LOG_LEVEL: 'debug',
    })
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString()
        done()
      },
    })
    collector = await startCollector(config, { log: createLogger(config.logLevel, sink) })
  })
  after(async () => {
    await collector.stop()
    await shop.close()
    await outside.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('the tag form makes the tag for the chosen attributes, on the collector\'s own address, as the doctor reads it', async () => {
    const { cookie } = await session(ADMIN_TOKEN)
    const plain = await request('/admin/install', { cookie })
    assert.equal(tagOf(plain.text), `<script async src="${collector.url}/cr.js"></script>`)

    const query = new URLSearchParams({ endpoint: 'https://t.shop.example/', cookie_domain: '.Shop.Example', consent: 'required', phone_country: '+44', platform: 'shopify', stripe_links: '1' })
    const page = await request(`/admin/install?${query}`, { cookie })
    assert.equal(page.status, 200, page.text)
    const tag = tagOf(page.text)
    assert.equal(tag, `<script async src="${collector.url}/cr.js" data-endpoint="https://t.shop.example" data-cookie-domain="shop.example" data-consent="required" data-phone-country="44" data-platform="shopify" data-stripe-links></script>`)
    // What the script and the doctor make of it.
    const found = findTag(`<html><head>${tag}</head></html>`, new URL('https://shop.example/')).found
    assert.ok(found)
    assert.equal(found.collectUrl.href, 'https://t.shop.example/collect')
    assert.equal(found.cookieDomain, 'shop.example')
    assert.equal(found.consent, 'required')
    // A link can fill the form in: an endpoint that is neither this collector nor configured here is said to be so.
    assert.match(page.text, /<p class="alert tag-warning">data-endpoint sends the clicks to https:\/\/t\.shop\.example, which is not this collector/)
    const ownEndpoint = await request(`/admin/install?${new URLSearchParams({ endpoint: `${collector.url}/` })}`, { cookie })
    assert.doesNotMatch(ownEndpoint.text, /tag-warning/)
    // The form keeps what was picked.
    assert.match(page.text, /<input id="consent" name="consent" type="checkbox" value="required" checked>/)
    assert.match(page.text, /<option value="shopify" selected>/)

    const wrong = await request('/admin/install?phone_country=forty-four&platform=wix', { cookie })
    assert.equal(wrong.status, 400)
    assert.equal(tagOf(wrong.text), undefined)
    assert.match(wrong.text, /data-phone-country: a calling code of 1 to 3 digits/)
    assert.match(wrong.text, /data-platform: &quot;shopify&quot; or nothing/)
  })

  test('markup typed into a field is shown as text, never as markup', async () => {
    const { cookie } = await session(ADMIN_TOKEN)
    const refused = await request(`/admin/install?${new URLSearchParams({ cookie_domain: '"><script>alert(1)</script>' })}`, { cookie })
    assert.equal(refused.status, 400)
    assert.doesNotMatch(refused.text, /<script>alert/)
    assert.match(refused.text, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/)

    const accepted = await request(`/admin/install?${new URLSearchParams({ endpoint: 'https://t.shop.example/"><b>bold</b>' })}`, { cookie })
    assert.equal(accepted.status, 200, accepted.text)
    assert.doesNotMatch(accepted.text, /<b>bold/)
    assert.match(tagOf(accepted.text)!, /data-endpoint="https:\/\/t\.shop\.example\/%22%3E%3Cb%3Ebold%3C\/b%3E"/)
    // The tag itself is text in the page: its angle brackets are escaped.
    assert.match(accepted.text, /<code>&lt;script async src=&quot;/)
    // And whatever a value holds, it stays inside its attribute's quotes.
    assert.equal(formatTag('/cr.js', [['data-x', 'a"><script>&']]), '<script async src="/cr.js" data-x="a&quot;><script>&amp;"></script>')
  })

  test('the nginx and Caddy snippets are the README\'s, with this collector\'s address filled in', async () => {
    const { cookie } = await session(ADMIN_TOKEN)
    const page = await request('/admin/install', { cookie })
    const upstream = `127.0.0.1:${new URL(collector.url).port}`
    for (const name of ['nginx-root', 'nginx-prefix', 'caddy-root', 'caddy-prefix', 'env-root', 'env-prefix']) {
      const expected = readmeSnippet(name).replaceAll('127.0.0.1:8787', upstream)
      assert.ok(unescape(page.text).includes(expected), `the page shows the README's ${name} snippet for ${upstream}:\n${expected}`)
    }
    assert.match(page.text, new RegExp(`proxy_pass http://${upstream.replaceAll('.', '\\.')};`))
    assert.match(page.text, new RegExp(`reverse_proxy ${upstream.replaceAll('.', '\\.')}\\n`))
  })

  test('the install check of the demo store, run by the admin, passes and reads this collector\'s own status, sending no token anywhere', async () => {
    const admin = await session(ADMIN_TOKEN)
    const page = await request('/admin/install', { cookie: admin.cookie })
    assert.match(page.text, new RegExp(`id="url" name="url" type="text" inputmode="url" value="${collector.url}/demo/"`), 'the demo store is offered')

    const result = await check(admin, `${collector.url}/demo/`)
    assert.equal(result.status, 200, result.text)
    assert.match(result.text, /Install check of <code>http:\/\/127\.0\.0\.1:\d+\/demo\/<\/code>/)
    assert.match(result.text, /No failures/)
    for (const title of ['1. The tag is on the page', '2. cr.js loads', '3. A click record from the shop is accepted', '4. The visitor cookie comes back first-party', '5. The collector is healthy', '6. Delivery to TikTok (admin status)']) {
      assert.ok(result.text.includes(`<h3>${title}</h3>`), title)
    }
    assert.equal(line(result.text, /^found <script async src="\/cr\.js">/).status, 'pass')
    assert.equal(line(result.text, /^POST .*\/collect .*: 200, a dry run: nothing stored/).status, 'pass')
    assert.equal(line(result.text, /^GET .*\/healthz: 200/).status, 'pass')
    // Item 6 ran, from this collector's own status, read in the process.
    assert.equal(line(result.text, /^delivery ok; last event accepted by TikTok/).status, 'pass')
    assert.equal(line(result.text, /^sandbox mode/).status, 'warn')
    assert.ok(!checklistOf(result.text).some((c) => c.status === 'fail'))
    // A dry run: no click was stored.
    assert.equal(readRows<{ n: number }>(join(dir, 'db.sqlite'), "SELECT count(*) AS n FROM clicks WHERE ttclid = 'E.C.P.doctor'")[0]!.n, 0)
    // No secret reaches the log.
    assert.match(logs, /install check run from the dashboard/)
    for (const secret of [ADMIN_TOKEN, VIEWER_TOKEN, collector.orderSecret, SHOPIFY_SECRET]) assert.ok(!logs.includes(secret), 'a secret in the log')
  })

  test('a shop on an allowed origin is checked; nothing outside the configured origins is fetched, not by a redirect, not where its tag points', async () => {
    const admin = await session(ADMIN_TOKEN)
    shop.hits.length = 0
    const good = await check(admin, `${shop.origin}/moved-here`)
    assert.equal(good.status, 200, good.text)
    assert.deepEqual(shop.hits, ['GET /moved-here', 'GET /'], 'the redirect within the shop is followed')
    assert.equal(line(good.text, /^found <script async src=/).status, 'pass')
    assert.equal(line(good.text, new RegExp(`^POST ${collector.url}/collect \\(Origin: ${shop.origin}\\): 200`)).status, 'pass')

    const redirected = await check(admin, `${shop.origin}/moved`)
    assert.equal(redirected.status, 200, redirected.text)
    assert.equal(line(redirected.text, /not fetched: http:\/\/127\.0\.0\.1:\d+ is not an origin this collector is configured for/).status, 'fail')

    const tagElsewhere = await check(admin, `${shop.origin}/tag-elsewhere`)
    assert.equal(tagElsewhere.status, 200, tagElsewhere.text)
    assert.equal(line(tagElsewhere.text, /^GET http:\/\/127\.0\.0\.1:\d+\/cr\.js: .*not fetched/).status, 'fail')
    assert.match(tagElsewhere.text, /add it to CLICKRELAY_ALLOWED_ORIGINS/)
    assert.deepEqual(outside.hits, [], 'nothing reached the outside site')
  })

  test("a tag that points at another server is said to, and the admin token never leaves: no /admin/status is asked of anyone", async () => {
    const admin = await session(ADMIN_TOKEN)
    shop.hits.length = 0
    const result = await check(admin, `${shop.origin}/tag-on-shop`)
    assert.equal(result.status, 200, result.text)
    assert.equal(line(result.text, new RegExp(`^the page's tag sends to ${shop.origin.replaceAll('.', '\\.')}, not to this collector`)).status, 'warn')
    assert.ok(shop.hits.length > 0, 'the shop was checked')
    assert.deepEqual(shop.hits.filter((hit) => hit.includes('/admin')), [], `nothing asked the shop's server for /admin: ${shop.hits.join(', ')}`)
    assert.ok(!checklistOf(result.text).some((c) => /^delivery /.test(c.summary)), "no one's status is shown as the shop's collector's")
  })

  test('a URL outside the configured origins is 400, naming CLICKRELAY_ALLOWED_ORIGINS, and nothing is fetched', async () => {
    const admin = await session(ADMIN_TOKEN)
    const refused = await check(admin, `${outside.origin}/`)
    assert.equal(refused.status, 400, refused.text)
    assert.match(refused.text, /is not an origin this collector is configured for/)
    assert.match(refused.text, /CLICKRELAY_ALLOWED_ORIGINS/)
    assert.equal(checklistOf(refused.text).length, 0)
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'file:///etc/passwd', `http://user:pass@${shop.origin.slice(7)}/`, '']) {
      assert.equal((await check(admin, url)).status, 400, url)
    }
    assert.deepEqual(outside.hits, [])
  })

  test('the viewer sees the Install page and runs the check; the secrets page is 403 to it, by session and by Bearer', async () => {
    const viewer = await session(VIEWER_TOKEN)
    const page = await request('/admin/install', { cookie: viewer.cookie })
    assert.equal(page.status, 200)
    assert.match(page.text, /viewer · read-only/)
    assert.doesNotMatch(page.text, /href="[^"]*install\/secrets"/)

    const result = await check(viewer, `${collector.url}/demo/`)
    assert.equal(result.status, 200, result.text)
    assert.equal(line(result.text, /^found <script async src="\/cr\.js">/).status, 'pass')
    // The viewer reads /admin/status anyway: the check shows it the same item 6, read in the process.
    assert.equal(line(result.text, /^delivery ok; last event accepted by TikTok/).status, 'pass')

    const bySession = await request('/admin/install/secrets', { cookie: viewer.cookie })
    assert.equal(bySession.status, 403)
    assert.match(bySession.text, /read_only/)
    assert.doesNotMatch(bySession.text, /webhooks\/shopify/)
    const byBearer = await request('/admin/install/secrets', { headers: { Authorization: `Bearer ${VIEWER_TOKEN}` } })
    assert.equal(byBearer.status, 403)
    assert.equal((await request('/admin/Install/Secrets/', { cookie: viewer.cookie })).status, 403, 'whatever the case, with a trailing slash')
    assert.equal((await request('/admin/install/secrets', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 200)
  })

  test('the secrets page shows the order secret masked with a fingerprint to compare, the webhook URLs, and which secrets are set', async () => {
    const admin = await session(ADMIN_TOKEN)
    const page = await request('/admin/install/secrets', { cookie: admin.cookie })
    assert.equal(page.status, 200, page.text)
    const secret = collector.orderSecret
    assert.ok(!page.text.includes(secret), 'the order secret is not on the page')
    assert.ok(!page.text.includes(SHOPIFY_SECRET), 'nor a webhook secret')
    const fingerprint = createHmac('sha256', secret).update('clickrelay').digest('hex').slice(0, 16)
    assert.match(page.text, new RegExp(`<code class="secret-fingerprint">${fingerprint}</code>`))
    assert.match(page.text, new RegExp(`set, ${secret.length} characters`))
    // The command shown gives the same fingerprint from a copy of the secret.
    const command = unescape(/<code>(printf %s clickrelay [^<]*)<\/code>/.exec(page.text)![1]!)
    let hasOpenssl = true
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' })
    } catch {
      hasOpenssl = false
    }
    if (hasOpenssl) assert.equal(execFileSync('sh', ['-c', command], { env: { PATH: process.env.PATH, CLICKRELAY_ORDER_SECRET: secret } }).toString().trim(), fingerprint)

    assert.match(page.text, new RegExp(`<code>${collector.url}/webhooks/shopify</code>`))
    const secretCell = (variable: string) => new RegExp(`<code>${variable}</code><br><span class="pill (\\w+)">([^<]*)</span>`).exec(page.text)
    assert.equal(secretCell('CLICKRELAY_SHOPIFY_WEBHOOK_SECRET')?.[2], 'set')
    assert.equal(secretCell('CLICKRELAY_STRIPE_WEBHOOK_SECRET')?.[2], 'not set: route off')
    assert.equal(secretCell('CLICKRELAY_WOOCOMMERCE_WEBHOOK_SECRET')?.[2], 'not set: route off')
  })

  test('POST /admin/install/check without the CSRF token is 403 and fetches nothing', async () => {
    const admin = await session(ADMIN_TOKEN)
    shop.hits.length = 0
    const noToken = await request('/admin/install/check', { cookie: admin.cookie, form: { url: `${shop.origin}/` } })
    assert.equal(noToken.status, 403)
    assert.match(noToken.text, /csrf_failed/)
    const wrongToken = await request('/admin/install/check', { cookie: admin.cookie, form: { url: `${shop.origin}/`, _csrf: 'not-the-token' } })
    assert.equal(wrongToken.status, 403)
    const viewer = await session(VIEWER_TOKEN)
    assert.equal((await request('/admin/install/check', { cookie: viewer.cookie, form: { url: `${shop.origin}/` } })).status, 403)
    // The open sandbox's session-less POST (another site's form) too.
    assert.equal((await request('/admin/install/check', { form: { url: `${shop.origin}/` } })).status, 403)
    assert.deepEqual(shop.hits, [])
  })
})
