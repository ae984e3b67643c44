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
  /** @param {string} event @param {Record<string, unknown>=} properties @param {{event_id?: string}=} options */
  function send(event, properties, options) {
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
  }
  /** ttq.instance(code): like the real library, an object of its own per pixel, not window.ttq. @type {Record<string, unknown>} */
  var instances = {}
  var ttq = {
    track: send,
    page: function () {},
    /** @param {Record<string, unknown>} fields */
    identify: function (fields) {
      for (var k in fields) identity[k] = fields[k]
    },
    /** @param {string} code */
    instance: function (code) {
      if (code !== pixelCode) return undefined
      return instances[code] || (instances[code] = { track: send, page: function () {}, identify: ttq.identify })
    },
    load: function () {},
  }
  ;/** @type {any} */ (window).ttq = ttq
  // The base code's stub queues calls as [method, ...args], and each instance's in stub._i[code].
  replay(ttq, stub)
  for (var code in stub._i || {}) replay(ttq.instance(code), stub._i[code])

  /** @param {any} target @param {unknown[][]} queue */
  function replay(target, queue) {
    for (var i = 0; target && i < queue.length; i++) {
      var call = /** @type {any[]} */ (queue[i])
      if (call && typeof target[call[0]] === 'function') target[call[0]].apply(target, call.slice(1))
    }
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
