/**
 * The e2e suite: real journeys in a real Chromium through the demo store, against the real
 * collector (started by `npm start` in sandbox mode, with its own database file).
 */
import { defineConfig } from '@playwright/test'
import { browserLaunchOptions } from './helpers/browser.js'
import { DESKTOP_CHROME_UA } from './helpers/devices.js'
import { E2E } from './helpers/env.js'

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
  webServer: {
    command: 'node scripts/start.mjs',
    cwd: '..',
    url: `${E2E.baseUrl}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      PORT: String(E2E.port),
      CLICKRELAY_HOST: '127.0.0.1',
      CLICKRELAY_DB: E2E.dbPath,
      CLICKRELAY_ORDER_SECRET: E2E.orderSecret,
      CLICKRELAY_LOG_LEVEL: 'warn',
      CLICKRELAY_ALLOWED_ORIGINS: E2E.storefrontOrigins.join(','),
    },
  },
})
