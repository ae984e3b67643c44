/** What a chaos run must show, shared by `npm run chaos` and its short version in `npm test`. */
import type { FuzzResult } from './fuzz.js'
import type { KillLoopResult } from './kill-loop.js'

/** Memory growth over a fuzz run, after its warm-up tenth, that still counts as flat. */
export const FLAT_MEMORY_MB = 64

/** Every broken promise of the run, in words; empty when it held. */
export function chaosVerdict(kill: KillLoopResult | undefined, fuzzed: FuzzResult | undefined): string[] {
  const problems: string[] = []
  if (kill) {
    if (kill.missing.length) problems.push(`${kill.missing.length} accepted orders never reached the sandbox: ${kill.missing.slice(0, 5).join(', ')}`)
    if (kill.ordersWithoutEvent) problems.push(`${kill.ordersWithoutEvent} orders stored without their event`)
    if (kill.integrity !== 'ok') problems.push(`kill -9 loop: integrity_check says ${kill.integrity}`)
    if (kill.accepted === 0) problems.push('kill -9 loop: no order was accepted, so nothing was tested')
    // Beyond the accepted orders, only orders whose answer the kill cut off may have an event.
    if (kill.distinctEvents > kill.accepted + kill.unanswered) problems.push(`kill -9 loop: ${kill.distinctEvents} distinct events for ${kill.accepted} accepted and ${kill.unanswered} unanswered orders`)
  }
  if (fuzzed) {
    const fives = fuzzed.statuses['5xx'] ?? 0
    if (fives) problems.push(`${fives} fuzz answers were 5xx, e.g. ${JSON.stringify(fuzzed.serverErrors[0])}`)
    if (!fuzzed.alive) problems.push('the collector died during the fuzz run')
    if (fuzzed.rssEndMb - fuzzed.rssStartMb > FLAT_MEMORY_MB) problems.push(`memory grew from ${fuzzed.rssStartMb} MB to ${fuzzed.rssEndMb} MB`)
    if (fuzzed.integrity !== 'ok') problems.push(`fuzz: integrity_check says ${fuzzed.integrity}`)
    if (fuzzed.ordersWithoutEvent) problems.push(`fuzz: ${fuzzed.ordersWithoutEvent} orders stored without their event`)
  }
  return problems
}

export function figuresLine(seed: number, kill: KillLoopResult, fuzzed: FuzzResult, problems: string[]): string {
  const answers = Object.entries(fuzzed.statuses)
    .sort()
    .map(([family, n]) => `${n} ${family}`)
    .join(' ')
  return (
    `chaos ${problems.length ? 'FAILED' : 'ok'} (seed ${seed}): ` +
    `${kill.cycles} kill -9 cycles, ${kill.accepted} orders accepted, ${kill.missing.length} missing, ${kill.duplicateCopies} duplicate copies (deduplicated by event_id), integrity ${kill.integrity}, ${kill.seconds} s; ` +
    `${fuzzed.requests} fuzz requests: ${answers}, ${fuzzed.noAnswer} closed without answer, alive ${fuzzed.alive}, RSS ${fuzzed.rssStartMb} -> ${fuzzed.rssEndMb} MB, integrity ${fuzzed.integrity}, ${fuzzed.seconds} s` +
    (problems.length ? `\n  ${problems.join('\n  ')}` : '')
  )
}
