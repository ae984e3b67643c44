// @ts-check
/**
 * Stand-in for TikTok's pixel library (analytics.tiktok.com/i18n/pixel/events.js), used by the
 * demo store and the tests in sandbox mode. Like the real library it is loaded by the base code's
 * queueing stub, sets the first-party `_ttp` cookie once loaded, replaces the stub `window.ttq`
 * with its own object and replays the queued calls. `ttq.track(event, properties, { event_id })`
 * is posted to the sandbox Events API so pixel and server copies can be paired.
 */
;(function () {
  var script = /** @type {HTMLScriptElement | null} */ (document.currentScript)
  if (!script) return
  var src = new URL(script.src)
  var sandbox = src.origin + src.pathname.replace(/\/pixel\/events\.js$/, '')
  var stub = /** @type {any} */ (window).ttq || []
  var pixelCode = src.searchParams.get('sdkid') || ''
  var testEventCode = src.searchParams.get('test_event_code') || undefined

  // Like the real pixel, _ttp exists only once the library has run; ?ttp_delay=ms sets it later still.
  var ttpDelay = Number(src.searchParams.get('ttp_delay')) || 0
  function setTtp() {
    if (!readCookie('_ttp')) document.cookie = '_ttp=' + randomId(27) + '; Max-Age=' + 395 * 86400 + '; Path=/; SameSite=Lax'
  }
  ttpDelay ? setTimeout(setTtp, ttpDelay) : setTtp()

  /** @type {Record<string, unknown>} */
  var identity = {}
  var ttq = {
    /** @param {string} event @param {Record<string, unknown>=} properties @param {{event_id?: string}=} options */
    track: function (event, properties, options) {
      var body = {
        pixel_code: pixelCode,
        event: event,
        event_id: options && options.event_id,
        properties: properties || {},
        ttp: readCookie('_ttp'),
        url: location.href,
        identified: Object.keys(identity),
        test_event_code: testEventCode,
      }
      // text/plain: a CORS-simple request, so pages on other origins need no preflight
      fetch(sandbox + '/pixel/track', { method: 'POST', keepalive: true, headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(body) }).catch(function () {})
    },
    page: function () {},
    /** @param {Record<string, unknown>} fields */
    identify: function (fields) {
      for (var k in fields) identity[k] = fields[k]
    },
    /** @param {string} code */
    instance: function (code) {
      return code === pixelCode ? ttq : undefined
    },
    load: function () {},
  }
  ;/** @type {any} */ (window).ttq = ttq
  // The base code's stub queues calls as [method, ...args].
  for (var i = 0; i < stub.length; i++) {
    var call = stub[i]
    if (call && typeof (/** @type {any} */ (ttq)[call[0]]) === 'function') /** @type {any} */ (ttq)[call[0]].apply(ttq, Array.prototype.slice.call(call, 1))
  }

  /** @param {string} name */
  function readCookie(name) {
    var match = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'))
    return match ? decodeURIComponent(match[1] || '') : undefined
  }

  /** @param {number} n */
  function randomId(n) {
    var alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    var bytes = crypto.getRandomValues(new Uint8Array(n))
    var out = ''
    for (var j = 0; j < n; j++) out += alphabet[(bytes[j] || 0) % alphabet.length]
    return out
  }
})()
