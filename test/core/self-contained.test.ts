import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * A user's clone has only the repository: no sibling folders. The fresh-clone run is the real proof
 * (git clone → npm ci → npm test); this cheap guard catches a new reference to the project's old
 * sibling folder before it reaches CI.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
// Built from parts so that this file does not match itself.
const sibling = ['..', 'shared'].join('/');
const absolute = ['/work', 'shared'].join('/');

describe('the repository is self-contained', () => {
	it('GIVEN every tracked text file THEN none reaches for a sibling shared folder', () => {
		const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
			.split('\0')
			.filter((file) => /\.(ts|js|mjs|cjs|json|ya?ml|sh|md)$|(^|\/)(run|Dockerfile)$/.test(file))
			.filter((file) => !file.startsWith('src/sandbox/spec/'));
		expect(files.length).toBeGreaterThan(50);
		const offenders = files.filter((file) => {
			const text = readFileSync(`${root}${file}`, 'utf8');
			return text.includes(sibling) || text.includes(absolute);
		});
		expect(offenders).toEqual([]);
	});
});
