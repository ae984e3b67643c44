/**
 * Where the script sends its records: by default to the origin it was loaded from (so a
 * merchant mounts the collector on their own domain), or to `data-endpoint` when the tag says so.
 * The storefront is a real server on another origin (another loopback port: Chromium's Local
 * Network Access rules block a public page from calling loopback).
 */
import { E2E } from './helpers/env.js'
import { query } from './helpers/sandbox.js'
import { expect, tag, test, unique } from './helpers/storefront.js'


test('the script sends its click record to the origin it was loaded from', async ({ page, store }) => {
  const ttclid = `E.C.P.${unique('origin-default')}`
  store.page('/landing', tag())
  const collect = page.waitForRequest((r) => r.url().endsWith('/collect'))
  await page.goto(`${store.url}/landing?ttclid=${ttclid}`)
  expect((await collect).url()).toBe(`${E2E.baseUrl}/collect`)
  await expect.poll(() => query(`SELECT ttclid FROM clicks WHERE ttclid = ?`, ttclid).length).toBe(1)
})

test('data-endpoint on the tag overrides where records go', async ({ page, store }) => {
  const ttclid = `E.C.P.${unique('origin-override')}`
  const other = `http://localhost:${E2E.port}`
  store.page('/landing', tag(`data-endpoint="${other}/"`))
  const collect = page.waitForRequest((r) => r.url().endsWith('/collect'))
  await page.goto(`${store.url}/landing?ttclid=${ttclid}`)
  expect((await collect).url()).toBe(`${other}/collect`)
  await expect.poll(() => query(`SELECT ttclid FROM clicks WHERE ttclid = ?`, ttclid).length).toBe(1)
})
