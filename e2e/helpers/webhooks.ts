/**
 * The three order platforms' webhooks, sent over real HTTP to the e2e collector with each
 * platform's exact signing, headers and body encoding (shopify.spec.ts, woocommerce.spec.ts,
 * stripe.spec.ts). The bodies are the specs' own fixtures, written from each platform's
 * documented payload shape; here only the envelope.
 */
import type { APIRequestContext } from '@playwright/test'
import { createHmac, randomUUID } from 'node:crypto'
import Stripe from 'stripe'
import { E2E } from './env.js'

export interface WebhookAnswer {
  status: number
  /** The parsed JSON body, or the raw text when it is not JSON (the WooCommerce ping's plain 200). */
  body: unknown
  text: string
}

/** Each platform's sending address, as the reverse proxy in front of the collector reports it (X-Forwarded-For): never the shopper's. */
export const PLATFORM_IPS = { shopify: '34.66.160.12', woocommerce: '192.0.2.80', stripe: '3.18.12.63' } as const

const base64Hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body, 'utf8').digest('base64')

async function post(request: APIRequestContext, path: string, body: string, headers: Record<string, string>): Promise<WebhookAnswer> {
  // A Buffer goes out byte for byte: the signature is over exactly these bytes.
  const response = await request.post(`${E2E.baseUrl}${path}`, { data: Buffer.from(body, 'utf8'), headers, failOnStatusCode: false })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { status: response.status(), body: parsed, text }
}

/**
 * A Shopify webhook: `X-Shopify-Hmac-Sha256` is base64(HMAC-SHA256(secret, raw body)).
 * `webhookId` is the delivery's ID (a redelivery repeats it).
 */
export function sendShopifyWebhook(
  request: APIRequestContext,
  topic: string,
  order: object,
  options: { webhookId?: string; secret?: string; shopDomain?: string } = {},
): Promise<WebhookAnswer> {
  const body = JSON.stringify(order)
  return post(request, '/webhooks/shopify', body, {
    'Content-Type': 'application/json',
    'User-Agent': 'Shopify-Captain-Hook',
    'X-Forwarded-For': PLATFORM_IPS.shopify,
    'X-Shopify-Topic': topic,
    'X-Shopify-Hmac-Sha256': base64Hmac(options.secret ?? E2E.webhookSecrets.shopify, body),
    'X-Shopify-Shop-Domain': options.shopDomain ?? 'clickrelay-e2e.myshopify.com',
    'X-Shopify-API-Version': '2025-10',
    'X-Shopify-Webhook-Id': options.webhookId ?? randomUUID(),
    'X-Shopify-Event-Id': randomUUID(),
    'X-Shopify-Triggered-At': new Date().toISOString(),
  })
}

/** A WooCommerce webhook: `X-WC-Webhook-Signature` is base64(HMAC-SHA256(secret, raw body)). */
export function sendWooCommerceWebhook(
  request: APIRequestContext,
  topic: string,
  order: object,
  options: { deliveryId?: string; secret?: string; source?: string } = {},
): Promise<WebhookAnswer> {
  const body = JSON.stringify(order)
  const [resource = '', event = ''] = topic.split('.')
  return post(request, '/webhooks/woocommerce', body, {
    'Content-Type': 'application/json',
    'User-Agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)',
    'X-Forwarded-For': PLATFORM_IPS.woocommerce,
    'X-WC-Webhook-Source': options.source ?? 'https://woo.example/',
    'X-WC-Webhook-Topic': topic,
    'X-WC-Webhook-Resource': resource,
    'X-WC-Webhook-Event': event,
    'X-WC-Webhook-Signature': base64Hmac(options.secret ?? E2E.webhookSecrets.woocommerce, body),
    'X-WC-Webhook-ID': '1',
    'X-WC-Webhook-Delivery-ID': options.deliveryId ?? String(Math.floor(Math.random() * 1e9)),
  })
}

/** The ping WooCommerce sends when a webhook is saved: a form body `webhook_id=N`, no signature. */
export function sendWooCommercePing(request: APIRequestContext, webhookId = 1): Promise<WebhookAnswer> {
  return post(request, '/webhooks/woocommerce', `webhook_id=${webhookId}`, {
    'Content-Type': 'application/x-www-form-urlencoded',
    'User-Agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)',
    'X-Forwarded-For': PLATFORM_IPS.woocommerce,
  })
}

/**
 * A Stripe event: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, made
 * by the official package's test helper.
 */
export function sendStripeWebhook(request: APIRequestContext, event: { id: string; type: string } & object, options: { secret?: string; timestamp?: number } = {}): Promise<WebhookAnswer> {
  const body = JSON.stringify(event, null, 2)
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: options.secret ?? E2E.webhookSecrets.stripe,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  })
  return post(request, '/webhooks/stripe', body, {
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    'X-Forwarded-For': PLATFORM_IPS.stripe,
    'Stripe-Signature': signature,
  })
}

/** A numeric order ID no other test or repeat uses (Shopify's are 13 digits, WooCommerce's small; both fit). */
export function uniqueOrderNumber(): number {
  return Date.now() * 100 + Math.floor(Math.random() * 100)
}
