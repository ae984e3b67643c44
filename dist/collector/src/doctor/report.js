/** The report as people read it: the six items in order, one line per check, the fix indented under it. */
import { ITEMS } from './result.js';
const MARK = { pass: '✓', warn: '!', fail: '✗', skip: '-' };
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
export function formatReport(report) {
    const lines = [`ClickRelay install check: ${report.url}`];
    if (report.page_url && report.page_url !== report.url)
        lines.push(`  (the page is ${report.page_url}, after redirects)`);
    for (const item of [1, 2, 3, 4, 5, 6]) {
        const checks = report.checks.filter((c) => c.item === item);
        if (!checks.length)
            continue;
        lines.push('', `${item}. ${ITEMS[item]}`);
        for (const check of checks) {
            lines.push(`  ${MARK[check.status]} ${check.summary}`);
            if (check.fix && (check.status === 'warn' || check.status === 'fail')) {
                const [first = '', ...rest] = check.fix.split('\n');
                lines.push(`      Fix: ${first}`, ...rest.map((line) => `           ${line}`));
            }
        }
    }
    const { pass, warn, fail, skip } = report.counts;
    lines.push('', `${fail ? `✗ ${plural(fail, 'failure')}` : '✓ no failures'}, ${plural(warn, 'warning')}, ${pass} passed${skip ? `, ${skip} skipped` : ''}.`);
    return lines.join('\n') + '\n';
}
