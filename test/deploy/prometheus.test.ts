import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.ts';

/*
 * The example alert rules (deploy/prometheus/facet-alerts.yml) as Prometheus loads them: `promtool check rules`
 * (Debian's prometheus package; .ci/run installs it), and `promtool test rules` with the unit tests beside them,
 * which feed each alert the series that should fire it. The metric names they use are checked against a running
 * bot's /metrics in test/deploy/edge.test.ts.
 */

const run = promisify(execFile);
const RULES = join(ROOT, 'deploy', 'prometheus');
const scratch = mkdtempSync(join(tmpdir(), 'facet-promtool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function promtool(args: string[], cwd: string): Promise<{ code: number; output: string }> {
	try {
		const { stdout, stderr } = await run('promtool', args, { cwd });
		return { code: 0, output: stdout + stderr };
	} catch (error) {
		const failed = error as { code?: number | string; stdout?: string; stderr?: string };
		if (failed.code === 'ENOENT') throw new Error('promtool not found: apt-get install -y prometheus (see .ci/run)');
		return { code: Number(failed.code ?? 1), output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
	}
}

describe('deploy/prometheus/facet-alerts.yml', () => {
	it('GIVEN the rules THEN promtool accepts them', async () => {
		const result = await promtool(['check', 'rules', 'facet-alerts.yml'], RULES);
		expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
		expect(result.code).toBe(0);
	});

	it('GIVEN the unit tests THEN each alert fires on the series that should trigger it, with its labels and text', async () => {
		const result = await promtool(['test', 'rules', 'facet-alerts.test.yml'], RULES);
		expect(result.output).toContain('SUCCESS');
		expect(result.code).toBe(0);
	});

	it('GIVEN a broken expression or an alert that no longer fires THEN promtool fails', async () => {
		const rules = readFileSync(join(RULES, 'facet-alerts.yml'), 'utf8');
		writeFileSync(join(scratch, 'broken.yml'), rules.replace('expr: up{job="facet"} == 0', 'expr: up{job="facet" == 0'));
		expect((await promtool(['check', 'rules', 'broken.yml'], scratch)).code).not.toBe(0);
		// The unit tests catch a threshold that silences an alert.
		writeFileSync(
			join(scratch, 'facet-alerts.yml'),
			rules.replace('facet_command_sync_failing_guilds{job="facet"} > 0', 'facet_command_sync_failing_guilds{job="facet"} > 5')
		);
		cpSync(join(RULES, 'facet-alerts.test.yml'), join(scratch, 'facet-alerts.test.yml'));
		const tested = await promtool(['test', 'rules', 'facet-alerts.test.yml'], scratch);
		expect(tested.code).not.toBe(0);
		expect(tested.output).toContain('FacetCommandSyncFailing');
	});
});
