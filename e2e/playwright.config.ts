/**
 * The e2e suite: real journeys in a real Chromium through the demo store, against the real
 * collector (started by `npm start` in sandbox mode, with its own database file).
 */
import { defineConfig } from '@playwright/test'
import { browserLaunchOptions } from './helpers/browser.js'
import { DESKTOP_CHROME_UA } from './helpers/devices.js'
import { E2E } from './helpers/env.js'

/** `npm start`'s own start-up path, in sandbox mode, on its own port and database. */
function collector(port: number, dbPath: string, env: Record<string, string> = {}) {
  return {
    command: 'node scripts/start.mjs',
    cwd: '..',
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: {
      PORT: String(port),
      CLICKRELAY_HOST: '127.0.0.1',
      CLICKRELAY_DB: dbPath,
      CLICKRELAY_ORDER_SECRET: E2E.orderSecret,
      CLICKRELAY_ADMIN_TOKEN: E2E.adminToken,
      CLICKRELAY_SHOPIFY_WEBHOOK_SECRET: E2E.webhookSecrets.shopify,
      CLICKRELAY_WOOCOMMERCE_WEBHOOK_SECRET: E2E.webhookSecrets.woocommerce,
      CLICKRELAY_STRIPE_WEBHOOK_SECRET: E2E.webhookSecrets.stripe,
      CLICKRELAY_LOG_LEVEL: 'warn',
      CLICKRELAY_ALLOWED_ORIGINS: E2E.storefrontOrigins.join(','),
      // As in production behind a reverse proxy: the HTTPS storefront proxies to it from loopback.
      CLICKRELAY_TRUST_PROXY: 'loopback',
      ...env,
    },
  }
}

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: '../test-results/e2e',
  fullyParallel: false,
  workers: process.env.CI ? 2 : undefined,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  timeout: 30_000,
  reporter: [['list'], ['html', { outputFolder: '../playwright-report', open: 'never' }]],
  use: {
    baseURL: E2E.baseUrl,
    userAgent: DESKTOP_CHROME_UA,
    launchOptions: browserLaunchOptions(),
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  webServer: [
    { ...collector(E2E.port, E2E.dbPath), url: `${E2E.baseUrl}/healthz` },
    { ...collector(E2E.testMode.port, E2E.testMode.dbPath, { CLICKRELAY_TEST_EVENT_CODE: E2E.testMode.code }), url: `${E2E.testMode.baseUrl}/healthz` },
  ],
})
