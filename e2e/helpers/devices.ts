/** Browsers the journeys pretend to be. */
import type { BrowserContextOptions } from '@playwright/test'

/** TikTok's in-app browser on an iPhone: a WKWebView whose user agent carries the app's tokens, not the word TikTok. */
export const TIKTOK_IN_APP_IPHONE: BrowserContextOptions = {
  userAgent:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_35.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US BytedanceWebview/d8a21c6',
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
}

/**
 * A desktop Chrome. Headless Chromium announces itself as "HeadlessChrome", which the collector
 * rightly drops as a bot; the journeys are shoppers, so they say what a shopper's browser says.
 */
export const DESKTOP_CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'

/** Safari on the same iPhone: its own cookie jar, nothing shared with the in-app browser. */
export const SAFARI_IPHONE: BrowserContextOptions = {
  userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
}

/** A desktop browser at home. */
export const DESKTOP: BrowserContextOptions = { userAgent: DESKTOP_CHROME_UA, viewport: { width: 1280, height: 800 } }
