/**
 * The demo storefront's pages, rendered on the server. Each page carries what a real
 * storefront would: the ClickRelay tag early in <head>, then the TikTok pixel base code
 * (here pointing at the sandbox's stand-in pixel).
 */
import { CURRENCY, PRODUCTS } from './catalog.js';
const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
/** JSON that is safe inside <script>. */
const scriptJson = (v) => JSON.stringify(v).replace(/</g, '\\u003c');
const money = (n) => `$${n.toFixed(2)}`;
/** The stand-in pixel library's URL, with what this page asks of it. */
function pixelLibrary(options) {
    const query = new URLSearchParams();
    if (options.testEventCode)
        query.set('test_event_code', options.testEventCode);
    if (options.ttpDelayMs)
        query.set('ttp_delay', String(options.ttpDelayMs));
    return '/sandbox/pixel/events.js' + (query.size ? `?${query}` : '');
}
/** The script that ships the stub, so pages can call clickrelay before cr.js has loaded. */
const STUB = `window.clickrelay = window.clickrelay || { q: [], ready: function (f) { this.q.push(f) } };`;
function consentBanner() {
    return `<div class="consent" id="consent" role="dialog" aria-label="Cookie consent" hidden>
  <span>We use a first-party cookie to credit the TikTok ad that brought you here.</span>
  <button class="button" id="consent-accept">Accept</button> <button class="button secondary" id="consent-refuse">Refuse</button>
</div>
<footer class="settings"><button class="button secondary" id="consent-settings">Cookie settings</button></footer>
<script>
${STUB}
(function () {
  var banner = document.getElementById('consent');
  if (localStorage.getItem('cr_consent') !== '1' && sessionStorage.getItem('demo_consent_refused') !== '1') banner.hidden = false;
  function choose(given) {
    banner.hidden = true;
    if (!given) sessionStorage.setItem('demo_consent_refused', '1');
    clickrelay.ready(function (cr) { cr.consent(given) });
  }
  document.getElementById('consent-settings').onclick = function () { banner.hidden = false };
  document.getElementById('consent-accept').onclick = function () { choose(true) };
  document.getElementById('consent-refuse').onclick = function () { choose(false) };
})();
</script>`;
}
/** The shape of TikTok's base code: a queueing stub, then the library (here the sandbox's stand-in) loaded asynchronously. */
export function pixelBaseCode(pixelCode, libraryUrl = '/sandbox/pixel/events.js') {
    return `!function(w,d,t){w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track","identify","instance"];
ttq.setAndDefer=function(o,m){o[m]=function(){o.push([m].concat(Array.prototype.slice.call(arguments,0)))}};
for(var i=0;i<ttq.methods.length;i++)ttq.setAndDefer(ttq,ttq.methods[i]);
ttq.load=function(e){var s=d.createElement("script");s.async=!0;s.src=${scriptJson(libraryUrl)}+(${scriptJson(libraryUrl)}.indexOf("?")<0?"?":"&")+"sdkid="+e+"&lib="+t;var f=d.getElementsByTagName("script")[0];f.parentNode.insertBefore(s,f)};
ttq.load(${scriptJson(pixelCode)});ttq.page();}(window,document,"ttq");`;
}
function layout(title, body, options, extraHead = '') {
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Trail Co. (ClickRelay demo)</title>
${options.stripTtclid ? `<script>history.replaceState(null, '', location.pathname)</script>` : ''}
<script async src="/cr.js"${options.consentRequired ? ' data-consent="required"' : ''}></script>
<script>${pixelBaseCode(options.pixelCode, pixelLibrary(options))}</script>
${extraHead}
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2321; background: #f6f4ef; }
  body { margin: 0; }
  .sandbox { background: #1d2321; color: #f6f4ef; font-size: 13px; padding: 6px 16px; }
  .sandbox code { color: #9be3c5; }
  header { display: flex; align-items: baseline; gap: 16px; padding: 18px 16px 8px; max-width: 960px; margin: 0 auto; }
  header a { color: inherit; text-decoration: none; }
  header .logo { font-weight: 800; font-size: 22px; letter-spacing: -0.5px; }
  main { max-width: 960px; margin: 0 auto; padding: 8px 16px 48px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 16px; }
  .card { background: #fff; border-radius: 12px; overflow: hidden; box-shadow: 0 1px 3px rgba(0,0,0,.08); text-decoration: none; color: inherit; display: block; }
  .swatch { height: 150px; display: grid; place-items: center; color: #fff; font-weight: 700; font-size: 20px; }
  .card .info { padding: 12px 14px; }
  .price { font-weight: 700; }
  .product { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 24px; }
  @media (max-width: 640px) { .product { grid-template-columns: 1fr; } }
  .product .swatch { height: 280px; border-radius: 12px; }
  .button { display: inline-block; background: #1d2321; color: #fff; border: 0; border-radius: 999px; padding: 12px 22px; font-size: 16px; text-decoration: none; cursor: pointer; }
  form { display: grid; gap: 12px; max-width: 420px; }
  label { display: grid; gap: 4px; font-size: 14px; }
  input { font-size: 16px; padding: 10px 12px; border: 1px solid #c9c4b8; border-radius: 8px; }
  .panel { background: #fff; border-radius: 12px; padding: 16px; margin-top: 20px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  .panel dt { font-size: 12px; text-transform: uppercase; letter-spacing: .5px; color: #69716d; margin-top: 10px; }
  .panel dd { margin: 2px 0 0; word-break: break-all; font-family: ui-monospace, monospace; font-size: 13px; }
  .ok { color: #1c7c54; font-weight: 700; } .wait { color: #a4641b; font-weight: 700; } .bad { color: #b3261e; font-weight: 700; }
  .error { background: #fdecea; color: #b3261e; padding: 12px; border-radius: 8px; }
  .button.secondary { background: #fff; color: #1d2321; border: 1px solid #1d2321; }
  .consent { position: fixed; left: 12px; right: 12px; bottom: 12px; background: #fff; padding: 14px; border-radius: 12px; box-shadow: 0 4px 20px rgba(0,0,0,.2); display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
  .consent[hidden] { display: none; }
  .settings { max-width: 960px; margin: 0 auto; padding: 0 16px 96px; }
  .newsletter { margin-top: 28px; background: #fff; border-radius: 12px; padding: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  .newsletter form { flex-direction: row; display: flex; gap: 8px; flex-wrap: wrap; max-width: none; }
</style>
</head>
<body>
<div class="sandbox">ClickRelay demo store · sandbox mode: events go to the sandbox Events API on this machine, never to TikTok.</div>
<header><a class="logo" href="/demo/">Trail Co.</a><span>Gear for wet weekends</span></header>
<main>
${body}
</main>
${options.consentRequired ? consentBanner() : ''}
</body>
</html>`;
}
function swatch(p) {
    return `<div class="swatch" style="background:${p.color}">${escapeHtml(p.name)}</div>`;
}
export function homePage(options) {
    const cards = PRODUCTS.map((p) => `<a class="card" href="/demo/products/${p.slug}">${swatch(p)}<div class="info"><div>${escapeHtml(p.name)}</div><div class="price">${money(p.price)}</div></div></a>`).join('\n');
    return layout('Shop', `<h1>New for the season</h1>
<p>Arrived from a TikTok ad? The address bar shows <code>?ttclid=…</code>; ClickRelay has just recorded it.</p>
<div class="grid">${cards}</div>
<section class="newsletter" aria-label="Newsletter">
  <strong>Get 10% off your first order</strong>
  <form id="newsletter">
    <input name="email" type="email" required placeholder="you@example.com" aria-label="Newsletter email">
    <button class="button" type="submit">Sign up</button>
  </form>
  <p id="newsletter-done" hidden>Thanks! Check your inbox.</p>
</section>
<script>
${STUB}
// A signup links this browser to the shopper's email: clickrelay.identify() hashes it here and sends only the hash.
document.getElementById('newsletter').addEventListener('submit', function (event) {
  event.preventDefault();
  var email = this.email.value;
  clickrelay.ready(function (cr) {
    cr.identify({ email: email }).then(function () {
      document.getElementById('newsletter').hidden = true;
      document.getElementById('newsletter-done').hidden = false;
    });
  });
});
</script>`, options);
}
/** A single-page storefront: its own router changes the URL with pushState, as React or Vue shops do. */
export function spaPage(options) {
    const products = PRODUCTS.map((p) => ({ slug: p.slug, name: p.name, price: money(p.price) }));
    return layout('Shop (single-page)', `<div id="app"></div>
<script>
var products = ${scriptJson(products)};
function render() {
  var path = location.pathname.slice('/demo/spa/'.length);
  var app = document.getElementById('app');
  var product = products.filter(function (p) { return path === 'products/' + p.slug })[0];
  app.innerHTML = product
    ? '<h1>' + product.name + '</h1><p class="price">' + product.price + '</p><a class="button" href="/demo/checkout?product=' + product.slug + '">Buy now</a> <a data-spa href="/demo/spa/">All products</a>'
    : '<h1>New for the season</h1><ul>' + products.map(function (p) { return '<li><a data-spa href="/demo/spa/products/' + p.slug + '">' + p.name + '</a> ' + p.price + '</li>' }).join('') + '</ul>';
}
function navigate(url) { history.pushState({}, '', url); render(); }
document.addEventListener('click', function (event) {
  var link = event.target.closest && event.target.closest('a[data-spa]');
  if (link) { event.preventDefault(); navigate(link.getAttribute('href')); }
});
addEventListener('popstate', render);
// A deep link handed over by the app shell (?next=...) is opened by the router, client-side,
// once its data has loaded: the ttclid reaches the address bar through pushState.
var next = new URLSearchParams(location.search).get('next');
render();
if (next && next.indexOf('/demo/spa/') === 0) setTimeout(function () { navigate(next) }, 500);
</script>`, options);
}
export function productPage(p, options) {
    return layout(p.name, `<div class="product">${swatch(p)}<div>
<h1>${escapeHtml(p.name)}</h1>
<p class="price">${money(p.price)}</p>
<p>${escapeHtml(p.blurb)}</p>
<a class="button" href="/demo/checkout?product=${p.slug}">Buy now</a>
</div></div>`, options);
}
export function checkoutPage(p, options, error, values = {}) {
    return layout('Checkout', `<h1>Checkout</h1>
<p>${escapeHtml(p.name)} · <span class="price">${money(p.price)}</span></p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/demo/checkout">
  <input type="hidden" name="product" value="${p.slug}">
  <label>Email <input name="email" type="email" required autocomplete="email" value="${escapeHtml(values.email ?? '')}"></label>
  <label>Phone <input name="phone" type="tel" autocomplete="tel" placeholder="+1 213 373 4253" value="${escapeHtml(values.phone ?? '')}"></label>
  <button class="button" type="submit">Pay ${money(p.price)}</button>
</form>
<p><small>Your order is confirmed by the store's server, which reports it to ClickRelay signed with the order secret.</small></p>`, options);
}
export function thankYouPage(orderId, p, options) {
    const properties = { contents: [{ content_id: p.slug, content_name: p.name, quantity: 1, price: p.price }], content_type: 'product', value: p.price, currency: CURRENCY, order_id: orderId };
    const script = `
${STUB}
clickrelay.ready(function (cr) {
  var eventId = cr.eventId(${scriptJson(options.purchaseEvent)}, ${scriptJson(orderId)});
  ttq.track(${scriptJson(options.purchaseEvent)}, ${scriptJson(properties)}, { event_id: eventId });
  document.getElementById('event-id').textContent = eventId;
  watch(eventId);
});
function watch(eventId) {
  var tries = 0;
  (function poll() {
    Promise.all([
      fetch('/sandbox/report?event_id=' + encodeURIComponent(eventId)).then(function (r) { return r.json() }),
      fetch('/sandbox/received?source=server&event_id=' + encodeURIComponent(eventId)).then(function (r) { return r.json() })
    ]).then(function (res) {
      var report = res[0], server = res[1].events[0];
      var ev = report.events[0] || { server: 0, pixel: 0 };
      set('pixel', ev.pixel ? 'received' : 'waiting…', ev.pixel ? 'ok' : 'wait');
      set('server', ev.server ? 'delivered' : 'waiting…', ev.server ? 'ok' : 'wait');
      set('ttclid', server ? (server.payload.user.ttclid || 'none: this visit did not come from an ad') : '…', server && server.payload.user.ttclid ? 'ok' : '');
      set('counted', report.counted_once ? 'counted once' : ev.server + ev.pixel > 0 && report.events.length ? (report.events.reduce(function (n, e) { return n + e.counted }, 0) + ' conversions') : '…', report.counted_once ? 'ok' : 'wait');
      if (!(ev.server && ev.pixel) && ++tries < 40) setTimeout(poll, 250);
    }).catch(function () { if (++tries < 40) setTimeout(poll, 500) });
  })();
}
function set(id, text, cls) { var el = document.getElementById(id); el.textContent = text; el.className = cls || ''; }
`;
    return layout('Thank you', `<h1>Thank you! Order #${escapeHtml(orderId)} is confirmed.</h1>
<p>${escapeHtml(p.name)} · <span class="price">${money(p.price)}</span></p>
<section class="panel" aria-label="What TikTok received">
  <strong>What the sandbox Events API received</strong>
  <dl>
    <dt>Shared event_id</dt><dd id="event-id">…</dd>
    <dt>Pixel event (browser)</dt><dd id="pixel">…</dd>
    <dt>Server event (ClickRelay)</dt><dd id="server">…</dd>
    <dt>ttclid on the server event</dt><dd id="ttclid">…</dd>
    <dt>After TikTok's deduplication</dt><dd id="counted">…</dd>
  </dl>
</section>
<p><a href="/admin/order?id=${escapeHtml(encodeURIComponent(orderId))}">See this order in the dashboard</a> (its click, payload and every attempt) · <a href="/demo/">Continue shopping</a></p>
<script>${script}</script>`, options);
}
export function errorPage(message, options) {
    return layout('Something went wrong', `<h1>Something went wrong</h1><p class="error" role="alert">${escapeHtml(message)}</p><p><a href="/demo/">Back to the shop</a></p>`, options);
}
