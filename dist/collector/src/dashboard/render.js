import { Eta } from 'eta';
import { DASHBOARD_VIEWS } from '../paths.js';
const eta = new Eta({ views: DASHBOARD_VIEWS, autoEscape: true, cache: true });
export function pageContext(req, principal, mode) {
    // /admin/ and /admin/login are one level down; /admin/orders/84213 would be two.
    const depth = Math.max(0, req.path.replace(/^\/admin\/?/, '').split('/').length - 1);
    return { base: depth ? '../'.repeat(depth) : './', principal, mode };
}
export function render(view, data) {
    return eta.render(`./${view}`, data);
}
export function sendPage(res, status, view, data) {
    res.status(status).type('html').send(render(view, data));
}
