/**
 * Settings shared by the Playwright config (which starts the collector) and the specs.
 * The runner evaluates this first and its workers inherit the environment, so they all
 * agree on one fresh database file per run.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const run = `${process.pid}-${Date.now()}`
process.env.CLICKRELAY_E2E_DB ??= join(tmpdir(), `clickrelay-e2e-${run}.db`)
process.env.CLICKRELAY_E2E_TEST_MODE_DB ??= join(tmpdir(), `clickrelay-e2e-test-mode-${run}.db`)
const port = Number(process.env.CLICKRELAY_E2E_PORT ?? 8790)

export const E2E = {
  port,
  baseUrl: `http://127.0.0.1:${port}`,
  dbPath: process.env.CLICKRELAY_E2E_DB,
  orderSecret: 'e2e-order-secret-0123456789abcdef',
  adminToken: 'e2e-admin-token-0123456789abcdef',
  /** The signing secrets of the three platforms' webhooks (shopify.spec.ts, woocommerce.spec.ts, stripe.spec.ts). */
  webhookSecrets: {
    shopify: 'e2e-shopify-webhook-secret-0123456789',
    woocommerce: 'e2e-woocommerce-webhook-secret-0123456789',
    stripe: 'whsec_e2e0123456789abcdef0123456789abcdef',
  },
  /** A second collector, in TikTok's test mode (CLICKRELAY_TEST_EVENT_CODE), with its own database. */
  testMode: { port: port + 20, baseUrl: `http://127.0.0.1:${port + 20}`, dbPath: process.env.CLICKRELAY_E2E_TEST_MODE_DB, code: 'TEST20261122' },
  /** Each parallel worker's fixture storefront listens on its own port, allowed to send to the collector. */
  storefrontPort: (parallelIndex: number) => port + 1 + parallelIndex,
  /**
   * A shop domain whose names all resolve to 127.0.0.1 in the browser (see browser.ts), for the
   * real subdomain layout: the store on www.shop.test, the collector on t.shop.test.
   */
  shopDomain: 'shop.test',
  storefrontOrigins: Array.from({ length: 8 }, (_, i) => port + 1 + i).flatMap((p) => [`http://127.0.0.1:${p}`, `http://www.shop.test:${p}`, `http://blog.shop.test:${p}`]),
}
