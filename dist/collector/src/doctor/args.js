/** The doctor's command line: `doctor <shop URL> [--admin-token TOKEN] [--json] [--timeout SECONDS]`. */
import { parseArgs } from 'node:util';
export const USAGE = `Usage: npm run doctor -- <shop URL> [--admin-token TOKEN] [--json] [--timeout SECONDS]

Checks a ClickRelay install from outside, as a shopper's browser meets it: the tag on
the shop's page, cr.js, a click record from the shop's origin (a dry run: nothing is
stored), the visitor cookie it brings back, /healthz and, with the admin token,
/admin/status.

  <shop URL>           a page of the shop, e.g. https://shop.example/ (https:// if left out)
  --admin-token TOKEN  the collector's CLICKRELAY_ADMIN_TOKEN, to read /admin/status;
                       default: the CLICKRELAY_ADMIN_TOKEN environment variable
  --json               print the results as JSON
  --timeout SECONDS    time limit of each request (default 10)

Exit status: 0 when no check failed, 1 when one did, 2 on a usage error.
`;
export function parseDoctorArgs(argv, env = {}) {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            options: { 'admin-token': { type: 'string' }, json: { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        });
    }
    catch (err) {
        return { error: err.message };
    }
    const { values, positionals } = parsed;
    if (values.help)
        return { help: true };
    if (positionals.length !== 1)
        return { error: positionals.length ? `one shop URL, please (got ${positionals.length})` : 'the shop URL is missing' };
    const given = positionals[0];
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : `https://${given}`;
    if (!URL.canParse(withScheme) || !/^https?:$/.test(new URL(withScheme).protocol))
        return { error: `not an http(s) URL: ${given}` };
    const seconds = values.timeout === undefined ? 10 : Number(values.timeout);
    if (!(seconds > 0 && seconds <= 600))
        return { error: `--timeout: seconds from 0 to 600, not ${values.timeout}` };
    const token = values['admin-token'] ?? env.CLICKRELAY_ADMIN_TOKEN;
    return { args: { url: new URL(withScheme), adminToken: token || undefined, json: values.json ?? false, timeoutMs: seconds * 1000 } };
}
