/** Item 2: cr.js loads as a browser loads it from the shop's page: 200, a JavaScript type, cacheable. */
import { collectorError, notFoundFix, readBody, request, statusText, unreachableFix } from './http.js';
export async function checkScript(http, scriptUrl, pageUrl) {
    const loads = (status, summary, fix) => ({ item: 2, id: 'script.loads', status, summary: `GET ${scriptUrl.href}: ${summary}`, ...(fix ? { fix } : {}) });
    if (pageUrl.protocol === 'https:' && scriptUrl.protocol === 'http:') {
        return [loads('fail', 'plain http on an https page: browsers block it', `load it over https: src="https://${scriptUrl.host}${scriptUrl.pathname}"`)];
    }
    const answer = await request(http, scriptUrl, { headers: { Accept: '*/*', Referer: pageUrl.href } });
    if (!answer.response)
        return [loads('fail', answer.error, unreachableFix(answer.error, scriptUrl))];
    const { response } = answer;
    const type = response.headers.get('content-type') ?? '';
    if (response.status !== 200) {
        const { json } = await readBody(response);
        const error = collectorError(json);
        const fix = response.status === 404 ? notFoundFix(scriptUrl, error !== undefined) : `make ${scriptUrl.pathname} reach the collector`;
        return [loads('fail', `${statusText(response)}${error ? `: ${error.code}: ${error.message}` : ''}`, fix)];
    }
    await response.body?.cancel();
    const checks = [];
    if (!/javascript|ecmascript/i.test(type)) {
        checks.push(loads('fail', `200 but Content-Type ${type || 'none'}: not a script${/html/i.test(type) ? ' (a page answers there, not the collector)' : ''}`, `forward ${scriptUrl.pathname} to the collector, which serves it as application/javascript`));
    }
    else {
        checks.push(loads('pass', `200, ${type}`));
    }
    const cacheControl = response.headers.get('cache-control') ?? '';
    const etag = response.headers.get('etag');
    const maxAge = /(?:^|[,\s])(?:s-)?max-age=(\d+)/i.exec(cacheControl);
    const caching = `Cache-Control: ${cacheControl || 'none'}${etag ? ', with an ETag' : ', no ETag (browsers download it again once it expires)'}`;
    if (/no-store|no-cache/i.test(cacheControl) || !maxAge || maxAge[1] === '0') {
        checks.push({ item: 2, id: 'script.cache', status: 'warn', summary: `${caching}: every page view downloads it again`, fix: 'let the collector\'s Cache-Control (public, max-age=3600) and ETag through: a proxy or CDN rule overrides them' });
    }
    else {
        checks.push({ item: 2, id: 'script.cache', status: 'pass', summary: caching });
    }
    return checks;
}
