/**
 * Pages from the templates in views/ (Eta). Every `<%= %>` is HTML-escaped (autoEscape, on here
 * said outright); `<%~ %>` writes raw HTML and is used only in the layout, for the page already
 * rendered into it. Values are turned into text here and in the page modules, so templates hold
 * no logic beyond ifs and loops.
 */
import type { Request, Response } from 'express'
import { Eta } from 'eta'
import { DASHBOARD_VIEWS } from '../paths.js'
import type { Principal } from './access.js'

const eta = new Eta({ views: DASHBOARD_VIEWS, autoEscape: true, cache: true })

/** What the layout needs on every page. */
export interface PageContext {
  /** The relative way back to /admin/ from this page (`./`, `../`), so links hold under a proxy's path prefix. */
  base: string
  principal: Principal | undefined
  mode: 'sandbox' | 'live'
}

/** The relative way back to /admin/ from a page's path: /admin/ and /admin/login are one level down (`./`); /admin/outbox/replay two (`../`). */
export function baseOf(path: string): string {
  const depth = Math.max(0, path.replace(/^\/admin\/?/, '').split('/').length - 1)
  return depth ? '../'.repeat(depth) : './'
}

export function pageContext(req: Request, principal: Principal | undefined, mode: PageContext['mode']): PageContext {
  return { base: baseOf(req.path), principal, mode }
}

export function render(view: string, data: object): string {
  return eta.render(`./${view}`, data)
}

export function sendPage(res: Response, status: number, view: string, data: object): void {
  res.status(status).type('html').send(render(view, data))
}
