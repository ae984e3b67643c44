/**
 * GET /cr.js: the built on-page script (public), and beside it the files cr.js loads when needed:
 * GET /cr-shopify.js (data-platform="shopify"), GET /cr-stripe-links.js (data-stripe-links) and
 * GET /cr-identify.js (the first identify() call). Each cached for an hour by browsers and CDNs, revalidated by ETag.
 */
import { Router } from 'express'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SCRIPT_FILE } from '../paths.js'

/** The files rollup builds into dist/ (rollup.config.mjs), each served at /<name>. */
export const SCRIPT_NAMES = ['cr.js', 'cr-shopify.js', 'cr-stripe-links.js', 'cr-identify.js']

export function scriptRouter(): Router {
  const router = Router()
  for (const name of SCRIPT_NAMES) {
    const file = join(dirname(SCRIPT_FILE), name)
    // Without cr.js there is nothing to run, so that one is required. An add-on missing from an
    // incomplete dist/ (scripts/check-dist.mjs fails then) leaves its own URL a 404, not the
    // whole collector down.
    if (name != 'cr.js' && !existsSync(file)) continue
    const script = readFileSync(file)
    router.get('/' + name, (_req, res) => {
      res.type('application/javascript; charset=utf-8').set('Cache-Control', 'public, max-age=3600').send(script)
    })
  }
  return router
}
