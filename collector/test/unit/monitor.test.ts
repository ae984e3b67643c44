import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { createLogger } from '../../src/log.js'
import { createMonitor } from '../../src/monitor.js'

function setup() {
  let now = Date.UTC(2026, 10, 23, 12, 0, 0)
  const lines: Array<{ level: number; problem?: string; msg: string }> = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()))
      done()
    },
  })
  const monitor = createMonitor({ now: () => now }, createLogger('info', sink))
  return { monitor, lines, advance: (ms: number) => (now += ms) }
}

test('a setup problem is warned about once a minute, with its message, and counted every time', () => {
  const { monitor, lines, advance } = setup()
  for (let i = 0; i < 5; i++) {
    monitor.problem('untrusted_proxy', 'set CLICKRELAY_TRUST_PROXY=loopback')
    advance(10_000)
  }
  assert.equal(lines.length, 1, 'five in 50 s: one warning')
  assert.deepEqual([lines[0]!.level, lines[0]!.problem, lines[0]!.msg], [40, 'untrusted_proxy', 'set CLICKRELAY_TRUST_PROXY=loopback'])
  advance(10_000)
  monitor.problem('untrusted_proxy', 'set CLICKRELAY_TRUST_PROXY=loopback')
  assert.equal(lines.length, 2, 'a minute after the first warning, it warns again')
  advance(1_000)
  monitor.problem('host_rewritten', 'proxy_set_header Host $host')
  assert.equal(lines.length, 3, 'another kind has its own minute')
  const [latest, earlier] = monitor.problems(3_600_000)
  assert.equal(latest!.code, 'host_rewritten')
  assert.equal(earlier!.count, 6)
})

test('refusals are counted per reason over the window asked for, and forgotten after 24 hours', () => {
  const { monitor, advance } = setup()
  monitor.refused('origin')
  monitor.refused('origin')
  monitor.refused('bot')
  advance(2 * 3_600_000)
  monitor.refused('rate_limit')
  assert.deepEqual(monitor.refusals(3_600_000), { origin: 0, rate_limit: 1, malformed: 0, bot: 0, too_large: 0 })
  assert.deepEqual(monitor.refusals(86_400_000), { origin: 2, rate_limit: 1, malformed: 0, bot: 1, too_large: 0 })
  advance(23 * 3_600_000)
  monitor.refused('malformed')
  assert.deepEqual(monitor.refusals(86_400_000), { origin: 0, rate_limit: 1, malformed: 1, bot: 0, too_large: 0 })
  assert.deepEqual(monitor.problems(86_400_000), [])
})
