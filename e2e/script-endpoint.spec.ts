/**
 * Where the script sends its records: by default to the origin it was loaded from (so a
 * merchant mounts the collector on their own domain), or to `data-endpoint` when the tag says so.
 * The storefront is a real server on another origin (another loopback port: Chromium's Local
 * Network Access rules block a public page from calling loopback, and in production both are
 * public anyway).
 */
import { expect, test } from '@playwright/test'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { E2E } from './helpers/env.js'
import { query } from './helpers/sandbox.js'

let store: Server
let storeUrl = ''
let tag = ''

test.beforeAll(async () => {
  store = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!doctype html><html><head>${tag}</head><body><h1>Storefront</h1></body></html>`)
  })
  await new Promise<void>((resolve) => store.listen(0, '127.0.0.1', resolve))
  storeUrl = `http://127.0.0.1:${(store.address() as AddressInfo).port}`
})

test.afterAll(() => new Promise<void>((resolve) => store.close(() => resolve())))

test('the script sends its click record to the origin it was loaded from', async ({ page }) => {
  tag = `<script async src="${E2E.baseUrl}/cr.js"></script>`
  const collect = page.waitForRequest((r) => r.url().endsWith('/collect'))
  await page.goto(`${storeUrl}/landing?ttclid=E.C.P.origin-default`)
  expect((await collect).url()).toBe(`${E2E.baseUrl}/collect`)
  await expect.poll(() => query(`SELECT ttclid FROM clicks WHERE ttclid = 'E.C.P.origin-default'`).length).toBe(1)
})

test('data-endpoint on the tag overrides where records go', async ({ page }) => {
  const other = `http://localhost:${E2E.port}`
  tag = `<script async src="${E2E.baseUrl}/cr.js" data-endpoint="${other}/"></script>`
  const collect = page.waitForRequest((r) => r.url().endsWith('/collect'))
  await page.goto(`${storeUrl}/landing?ttclid=E.C.P.origin-override`)
  expect((await collect).url()).toBe(`${other}/collect`)
  await expect.poll(() => query(`SELECT ttclid FROM clicks WHERE ttclid = 'E.C.P.origin-override'`).length).toBe(1)
})
