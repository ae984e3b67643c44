import { Eta } from 'eta';
import { DASHBOARD_VIEWS } from '../paths.js';
const eta = new Eta({ views: DASHBOARD_VIEWS, autoEscape: true, cache: true });
/** The relative way back to /admin/ from a page's path: /admin/ and /admin/login are one level down (`./`); /admin/outbox/replay two (`../`). */
export function baseOf(path) {
    const depth = Math.max(0, path.replace(/^\/admin\/?/, '').split('/').length - 1);
    return depth ? '../'.repeat(depth) : './';
}
export function pageContext(req, principal, mode) {
    return { base: baseOf(req.path), principal, mode };
}
export function render(view, data) {
    return eta.render(`./${view}`, data);
}
export function sendPage(res, status, view, data) {
    res.status(status).type('html').send(render(view, data));
}
