/**
 * Which Chromium the suite drives, in this order: CHROMIUM_PATH, Playwright's own
 * (`npx playwright install chromium`), then Debian's /usr/bin/chromium.
 */
import { chromium, type LaunchOptions } from '@playwright/test'
import { existsSync } from 'node:fs'

const SYSTEM_CHROMIUM = '/usr/bin/chromium'
/** Every name under the test shop domain (www.shop.test, t.shop.test) is this machine. */
const RESOLVER_FLAGS = ['--host-resolver-rules=MAP *.shop.test 127.0.0.1, MAP shop.test 127.0.0.1']
/** For a distribution's Chromium run as root in a container, with no network beyond loopback. */
const SYSTEM_FLAGS = [...RESOLVER_FLAGS, '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

function playwrightsOwn(): string | undefined {
  try {
    const path = chromium.executablePath()
    return existsSync(path) ? path : undefined
  } catch {
    return undefined
  }
}

export function browserLaunchOptions(): LaunchOptions {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, which does not exist`)
    return { executablePath: fromEnv, args: SYSTEM_FLAGS }
  }
  if (playwrightsOwn()) return { args: RESOLVER_FLAGS }
  if (existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, args: SYSTEM_FLAGS }
  throw new Error(
    'No Chromium found for the e2e suite. Either run `npx playwright install chromium`, ' +
      'or install a system Chromium (Debian/Ubuntu: `sudo apt-get install chromium`), ' +
      'or point CHROMIUM_PATH at a Chromium or Chrome binary.',
  )
}
