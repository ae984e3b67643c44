/** A shopper's steps through the demo store, and what the collector says about the order. */
import { expect, type APIRequestContext, type Page } from '@playwright/test'
import { E2E } from './env.js'

/** From wherever the page is, open a product, check out and reach the thank-you page. Returns the order ID. */
export async function buy(page: Page, options: { product?: string; email: string; phone?: string; baseUrl?: string }): Promise<string> {
  const base = options.baseUrl ?? E2E.baseUrl
  await page.goto(`${base}/demo/checkout?product=${options.product ?? 'trail-jacket'}`)
  await page.getByLabel('Email').fill(options.email)
  if (options.phone) await page.getByLabel('Phone').fill(options.phone)
  await page.getByRole('button', { name: /Pay/ }).click()
  await expect(page.getByRole('heading', { name: /Thank you/ })).toBeVisible()
  return new URL(page.url()).searchParams.get('order')!
}

export interface OrderReport {
  order_id: string
  event_id: string
  /** Where the order came from: POST /orders, or one of the platforms' webhooks. */
  source?: 'api' | 'shopify' | 'woocommerce' | 'stripe'
  /** Where the order's facts came from (the delivery, the field that carried the visitor ID, whose IP and user agent). */
  provenance?: Record<string, unknown> | null
  attribution: { ttclid?: string; in_app?: boolean; linked_by?: string; landing_url?: string; summary: string }
  pixel: { status: 'paired' | 'server_only' | 'different_event_name'; events: Array<{ event: string }> }
  event: { name: string; status: string; test_event_code: string | null }
}

/** GET /admin/orders/:id: the collector's account of an order. */
export async function orderReport(request: APIRequestContext, orderId: string, baseUrl = E2E.baseUrl): Promise<OrderReport> {
  const response = await request.get(`${baseUrl}/admin/orders/${encodeURIComponent(orderId)}`, { headers: { Authorization: `Bearer ${E2E.adminToken}` } })
  expect(response.status()).toBe(200)
  return (await response.json()) as OrderReport
}

export const visitorIdOf = (page: Page) => page.evaluate(() => (window as unknown as { clickrelay: { visitorId(): string } }).clickrelay.visitorId())
