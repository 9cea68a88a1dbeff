import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/sandbox/index.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase } from '../helpers/postgres.ts';
import { ROOT, runNode } from '../helpers/process.ts';

function filesUnder(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true, recursive: true })
		.filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
		.map((entry) => join(entry.parentPath, entry.name));
}

/** Every module specifier a file names: static imports and exports, dynamic import() of a string. */
function specifiersOf(source: string): string[] {
	const found: string[] = [];
	for (const match of source.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) found.push(match[1]!);
	for (const match of source.matchAll(/(?:^|[\s;])import\s*['"]([^'"]+)['"]/g)) found.push(match[1]!);
	for (const match of source.matchAll(/import\(\s*['"`]([^'"`]+)['"`]\s*\)/g)) found.push(match[1]!);
	return found;
}

describe('the core as a closed box', () => {
	it('GIVEN every file under src/core THEN none imports src/plugins or src/sandbox', () => {
		const core = join(ROOT, 'src', 'core');
		const offenders: string[] = [];
		for (const file of filesUnder(core)) {
			for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
				if (!specifier.startsWith('.')) continue;
				const target = relative(ROOT, join(file, '..', specifier));
				if (target.startsWith(join('src', 'plugins')) || target.startsWith(join('src', 'sandbox'))) {
					offenders.push(`${relative(ROOT, file)} → ${specifier}`);
				}
			}
		}
		expect(offenders).toEqual([]);
	});

	it('GIVEN the import scanner THEN it finds the forms of import a new offender would use', () => {
		const sample = [
			"import { x } from '../plugins/index.ts';",
			"import type { Y } from '../sandbox/seed.ts';",
			"export { z } from '../../sandbox/index.ts';",
			"import '../plugins/side-effect.ts';",
			"const m = await import('../sandbox/target.ts');"
		].join('\n');
		expect(specifiersOf(sample)).toEqual([
			'../plugins/index.ts',
			'../sandbox/seed.ts',
			'../../sandbox/index.ts',
			'../plugins/side-effect.ts',
			'../sandbox/target.ts'
		]);
	});
});

describe('plugins that know no other plugin', () => {
	it('GIVEN every plugin folder THEN none imports another plugin nor reads another plugin by name', () => {
		const root = join(ROOT, 'src', 'plugins');
		const names = readdirSync(root, { withFileTypes: true })
			.filter((entry) => entry.isDirectory())
			.map((entry) => entry.name);
		const offenders: string[] = [];
		for (const name of names) {
			for (const file of filesUnder(join(root, name))) {
				const source = readFileSync(file, 'utf8');
				for (const specifier of specifiersOf(source)) {
					if (!specifier.startsWith('.')) continue;
					const target = relative(root, join(file, '..', specifier));
					const owner = target.split(/[\\/]/)[0]!;
					if (names.includes(owner) && owner !== name) offenders.push(`${relative(ROOT, file)} imports ${specifier}`);
				}
				for (const other of names.filter((candidate) => candidate !== name)) {
					if (new RegExp(`plugins\\.(?:settings|get|isEnabled)[^;]*['"]${other}['"]`).test(source)) {
						offenders.push(`${relative(ROOT, file)} reads plugin "${other}"`);
					}
				}
			}
		}
		expect(offenders).toEqual([]);
	});
});

describe('the production start path', () => {
	const record = join(tmpdir(), `facet-modules-${process.pid}.txt`);
	let emulator: Emulator | undefined;
	afterAll(async () => {
		await emulator?.stop();
		rmSync(record, { force: true });
	});

	it('GIVEN a token and DISCORD_API_URL THEN the bot logs in there and never loads a module of the emulator', async () => {
		// Any Discord-compatible server will do: here the emulator, started by the test, stands in for one.
		emulator = new Emulator();
		await emulator.start();
		const db = await createScratchDatabase('facet_prod_path');
		const bot = runNode(['--import', join(ROOT, 'test', 'fixtures', 'hooks', 'record-modules.mjs'), 'src/main.ts'], {
			DISCORD_TOKEN: emulator.botToken,
			DISCORD_API_URL: emulator.restUrl,
			DATABASE_URL: db.url,
			API_PORT: String(await freePort()),
			API_HOST: '127.0.0.1',
			LOG_FORMAT: 'json',
			TASKS_QUEUE: `facet-prod-path-${process.pid}`,
			FACET_RECORD_MODULES: record
		});
		try {
			const ready = JSON.parse(await bot.waitFor(/Facet is ready/, 60_000)) as { mode: string };
			expect(ready.mode).toBe('discord');
			expect(emulator.stats.identifies).toBeGreaterThan(0);
			const loaded = readFileSync(record, 'utf8').split('\n').filter(Boolean);
			expect(loaded.some((url) => url.includes('/src/core/boot.ts'))).toBe(true);
			expect(loaded.filter((url) => url.includes('/src/sandbox/'))).toEqual([]);
		} finally {
			bot.child.kill('SIGTERM');
			await bot.exited;
			await db.drop();
		}
	});
});
