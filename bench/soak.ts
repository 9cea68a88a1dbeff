// `npm run soak -- --minutes 10`: runs the soak of bench/soak-run.ts and prints its JSON report; exits 1 when a
// bound is broken (the report's `violations`), 2 on a bad flag.
import { parseArgs } from 'node:util';

// Sapphire decides at import time whether it may load `.ts` pieces (see src/main.ts): say so before it is imported.
process.env.TS_NODE_DEV ??= 'true';
const { runSoak, violations } = await import('./soak-run.ts');
const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' } } });
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
	console.error(`--minutes must be a number of minutes above 0 (got "${values.minutes}")`);
	process.exit(2);
}
const report = await runSoak({ minutes, log: (line) => console.error(line) });
const broken = violations(report);
console.log(JSON.stringify({ ...report, violations: broken }, null, 2));
process.exit(broken.length > 0 ? 1 : 0);
