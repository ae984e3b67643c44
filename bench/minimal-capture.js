// The reference line of bench/script-cost.ts, never shipped: the least a click-capture script can
// do on a page. It reads its cookie and the URL and sends one beacon, with nothing to wait for
// and nothing scheduled. cr.js's goal is at most 2.5 times this script's main-thread time.
;(function () {
  var tag = document.currentScript
  var visitor = document.cookie.match(/(?:^|; )cr_vid=([^;]*)/)
  navigator.sendBeacon(
    tag.dataset.endpoint + '/collect',
    JSON.stringify({ v: visitor ? visitor[1] : undefined, u: location.href, r: document.referrer || undefined }),
  )
})()
