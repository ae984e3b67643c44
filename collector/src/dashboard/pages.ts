/**
 * What every dashboard page module gets from the router: the application, the access rules, the
 * replay rules and the layout's context for a request. Page modules (events.ts, install.ts) add
 * their routes to the router's `pages` with it.
 */
import type { Request, Response, Router } from 'express'
import type { AppContext } from '../context.js'
import type { Replays } from '../replay.js'
import type { Access } from './access.js'
import type { PageContext } from './render.js'

export interface PageDeps {
  ctx: AppContext
  access: Access
  replays: Replays
  /** The layout's context for this request (base, principal, mode, enabled). */
  context(req: Request, res: Response): PageContext & { enabled: boolean }
}

export type RegisterPages = (pages: Router, deps: PageDeps) => void
