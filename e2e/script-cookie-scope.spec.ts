/**
 * The visitor cookie's scope in a real shop layout. With `data-cookie-domain` the store on
 * www.shop.test and the collector on t.shop.test keep one visitor across the shop's subdomains,
 * in the script's cookie and in the collector's. On an HTTPS store, with the collector behind
 * the shop's reverse proxy, both cookies are `Secure`.
 */
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { E2E } from './helpers/env.js'
import { query } from './helpers/sandbox.js'
import { expect, test, unique } from './helpers/storefront.js'

const visitorId = () => (window as unknown as { clickrelay: { visitorId(): string | undefined } }).clickrelay.visitorId()
const ready = () => typeof (window as unknown as { clickrelay?: { visitorId?: unknown } }).clickrelay?.visitorId === 'function'
const clicksOf = (ttclid: string) => query<{ visitor_id: string }>(`SELECT visitor_id FROM clicks WHERE ttclid = ?`, ttclid)

test('with data-cookie-domain one visitor ID spans the shop subdomains, in the script cookie and the collector cookie', async ({ page, context, store }) => {
  const port = new URL(store.url).port
  const collector = `http://t.${E2E.shopDomain}:${E2E.port}`
  const tag = `<script async src="${collector}/cr.js" data-cookie-domain="${E2E.shopDomain}"></script>`
  store.page('/scope-land', tag)
  store.page('/scope-blog', tag)
  const ttclid = `E.C.P.${unique('scope')}`

  const answered = page.waitForResponse(`${collector}/collect`)
  await page.goto(`http://www.${E2E.shopDomain}:${port}/scope-land?ttclid=${ttclid}`)
  const answer = await answered
  expect(answer.status()).toBe(200)
  expect(await answer.headerValue('set-cookie'), "the collector's cookie").toMatch(/^cr_vid=[\w-]+;.*Domain=shop\.test/i)
  const id = await page.evaluate(visitorId)
  const cookies = (await context.cookies()).filter((c) => c.name === 'cr_vid')
  expect(cookies, 'one cookie, on the parent domain').toEqual([expect.objectContaining({ value: id, domain: '.shop.test', path: '/', secure: false })])

  await page.goto(`http://blog.${E2E.shopDomain}:${port}/scope-blog`)
  await page.waitForFunction(ready)
  expect(await page.evaluate(visitorId), 'the same visitor on another subdomain, whose storage is empty').toBe(id)
  expect(await page.evaluate(() => localStorage.getItem('cr_vid')), "mirrored into that origin's storage").toBe(id)
  expect(clicksOf(ttclid)).toEqual([{ visitor_id: id }])
})

test('on an HTTPS store with the collector behind its reverse proxy, both visitor cookies are Secure', async ({ browser }) => {
  const shop = await startHttpsShop()
  const context = await browser.newContext({ ignoreHTTPSErrors: true })
  try {
    const page = await context.newPage()
    const origin = `https://www.${E2E.shopDomain}:${shop.port}`

    // First the script alone: the collector is unreachable, so the cookie is the one the script wrote.
    await page.route('**/collect', (route) => route.abort())
    await page.goto(`${origin}/?ttclid=E.C.P.${unique('https-offline')}`)
    await page.waitForFunction(ready)
    const id = await page.evaluate(visitorId)
    expect((await context.cookies()).filter((c) => c.name === 'cr_vid'), "the script's cookie").toEqual([expect.objectContaining({ value: id, secure: true, sameSite: 'Lax' })])

    // Then through the proxy: the collector knows the browser came over HTTPS and says Secure too.
    await page.unroute('**/collect')
    const ttclid = `E.C.P.${unique('https')}`
    const answered = page.waitForResponse(`${origin}/collect`)
    await page.goto(`${origin}/?ttclid=${ttclid}`)
    const answer = await answered
    expect(answer.status()).toBe(200)
    expect(await answer.headerValue('set-cookie'), "the collector's cookie").toMatch(new RegExp(`^cr_vid=${id};.*; Secure`, 'i'))
    expect((await context.cookies()).filter((c) => c.name === 'cr_vid')).toEqual([expect.objectContaining({ value: id, secure: true })])
    await expect.poll(() => clicksOf(ttclid)).toEqual([{ visitor_id: id }])
  } finally {
    await context.close()
    await shop.close()
  }
})

/**
 * A storefront over real TLS (the self-signed certificate in fixtures/tls) whose reverse proxy
 * forwards /cr.js and /collect to the collector over plain HTTP, as nginx or Caddy would: the
 * original Host, X-Forwarded-For and X-Forwarded-Proto. The e2e collector trusts loopback proxies.
 */
async function startHttpsShop(): Promise<{ port: number; close(): Promise<void> }> {
  const tls = new URL('./fixtures/tls/', import.meta.url)
  const server = createHttpsServer({ key: readFileSync(new URL('key.pem', tls)), cert: readFileSync(new URL('cert.pem', tls)) }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://shop').pathname
    if (path === '/cr.js' || path === '/collect') {
      const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress, 'x-forwarded-proto': 'https' }
      const upstream = httpRequest({ host: '127.0.0.1', port: E2E.port, method: req.method, path: req.url, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      upstream.on('error', () => res.writeHead(502).end())
      req.pipe(upstream)
      return
    }
    res
      .writeHead(path === '/' ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
      .end(`<!doctype html><html><head><meta charset="utf-8"><script async src="/cr.js"></script></head><body><h1>HTTPS shop</h1></body></html>`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
