/** `npm run doctor -- https://shop.example`: the install check a merchant runs (see args.ts for its options). */
import { parseDoctorArgs, USAGE } from './args.js';
import { runDoctor } from './doctor.js';
import { formatReport } from './report.js';
const parsed = parseDoctorArgs(process.argv.slice(2), process.env);
if (parsed.help) {
    process.stdout.write(USAGE);
}
else if (parsed.error !== undefined) {
    process.stderr.write(`clickrelay doctor: ${parsed.error}\n\n${USAGE}`);
    process.exitCode = 2;
}
else {
    const { args } = parsed;
    const report = await runDoctor({ url: args.url, adminToken: args.adminToken, timeoutMs: args.timeoutMs });
    process.stdout.write(args.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
    process.exitCode = report.ok ? 0 : 1;
}
