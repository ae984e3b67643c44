/**
 * Where the script sends its records: by default to the origin it was loaded from (so a
 * merchant mounts the collector on their own domain), or to `data-endpoint` when the tag says so.
 * The storefront is a real server on another origin (another loopback port: Chromium's Local
 * Network Access rules block a public page from calling loopback).
 */
import { E2E } from './helpers/env.js'
import { query } from './helpers/sandbox.js'
import { expect, tag, test } from './helpers/storefront.js'


test('the script sends its click record to the origin it was loaded from', async ({ page, store }) => {
  store.page('/landing', tag())
  const collect = page.waitForRequest((r) => r.url().endsWith('/collect'))
  await page.goto(`${store.url}/landing?ttclid=E.C.P.origin-default`)
  expect((await collect).url()).toBe(`${E2E.baseUrl}/collect`)
  await expect.poll(() => query(`SELECT ttclid FROM clicks WHERE ttclid = 'E.C.P.origin-default'`).length).toBe(1)
})

test('data-endpoint on the tag overrides where records go', async ({ page, store }) => {
  const other = `http://localhost:${E2E.port}`
  store.page('/landing', tag(`data-endpoint="${other}/"`))
  const collect = page.waitForRequest((r) => r.url().endsWith('/collect'))
  await page.goto(`${store.url}/landing?ttclid=E.C.P.origin-override`)
  expect((await collect).url()).toBe(`${other}/collect`)
  await expect.poll(() => query(`SELECT ttclid FROM clicks WHERE ttclid = 'E.C.P.origin-override'`).length).toBe(1)
})
