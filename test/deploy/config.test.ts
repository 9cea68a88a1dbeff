import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EnvSchema, parseEnv } from '../../src/core/env.ts';
import { plugins } from '../../src/plugins/index.ts';
import { ROOT } from '../helpers/process.ts';

/*
 * The deployment files without Docker: each is checked by a linter from npm (the Dockerfiles by dockerfile-utils,
 * the compose file against the compose schema by dclint, the workflow against the workflow schema by
 * action-validator), and the environment's three descriptions — the zod schemas, .env.example and the README's
 * table — are held equal.
 */

const run = promisify(execFile);
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'facet-deploy-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a linter; resolves with its exit code and output instead of throwing on a failure. */
async function lint(command: string, args: string[]): Promise<{ code: number; output: string }> {
	try {
		const { stdout, stderr } = await run(command, args, { cwd: ROOT });
		return { code: 0, output: stdout + stderr };
	} catch (error) {
		const failed = error as { code?: number; stdout?: string; stderr?: string };
		return { code: typeof failed.code === 'number' ? failed.code : 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
	}
}

/** Writes `text` to a scratch file and returns its path. */
function scratchFile(name: string, text: string): string {
	const path = join(scratch, name);
	writeFileSync(path, text);
	return path;
}

const DOCKERFILES = ['Dockerfile', 'deploy/dashboard/Dockerfile', 'deploy/nginx/Dockerfile'];

describe('the Dockerfiles (dockerfile-utils)', () => {
	it.each(DOCKERFILES)('GIVEN %s THEN it lints clean', async (file) => {
		const result = await lint(bin('dockerfile-utils'), ['lint', join(ROOT, file)]);
		expect(result.output).toBe('');
		expect(result.code).toBe(0);
	});

	it('GIVEN a broken Dockerfile THEN the linter fails on it', async () => {
		const broken = read('Dockerfile').replace('FROM node:26-trixie-slim AS deps', 'FORM node:26-trixie-slim AS deps');
		const result = await lint(bin('dockerfile-utils'), ['lint', scratchFile('Dockerfile.broken', broken)]);
		expect(result.code).not.toBe(0);
		expect(result.output).toContain('Unknown instruction: FORM');
	});

	it('GIVEN the bot image THEN it is multi-stage, installs production dependencies only, runs as non-root with a HEALTHCHECK', () => {
		const text = read('Dockerfile');
		const stages = text.split(/^FROM /m).slice(1);
		expect(stages.length).toBeGreaterThanOrEqual(3);
		const runtime = stages.at(-1)!;
		// The runtime stage's node_modules come from the stage that installed with --omit=dev.
		const depsStage = stages.find((stage) => stage.includes('npm ci --omit=dev'));
		expect(depsStage).toBeDefined();
		const depsName = /AS (\w+)/.exec(depsStage!)![1];
		expect(runtime).toContain(`COPY --from=${depsName} --chown=node:node /app/node_modules`);
		expect(runtime).toMatch(/^USER node$/m);
		expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/readyz/m);
		expect(runtime).toContain('CMD ["node", "dist/main.js"]');
		// Always the current Node 26 image (a pinned patch would miss security fixes).
		for (const stage of stages) expect(stage).toMatch(/^node:26-trixie-slim\b/);
	});

	it('GIVEN the dashboard and edge images THEN they run nginx unprivileged with a HEALTHCHECK and the config from deploy/', () => {
		for (const file of ['deploy/dashboard/Dockerfile', 'deploy/nginx/Dockerfile']) {
			const runtime = read(file)
				.split(/^FROM /m)
				.at(-1)!;
			expect(runtime).toMatch(/^nginxinc\/nginx-unprivileged:/);
			expect(runtime).toMatch(/^USER 101$/m);
			expect(runtime).toMatch(/^HEALTHCHECK /m);
		}
		expect(read('deploy/dashboard/Dockerfile')).toContain('COPY deploy/dashboard/nginx.conf /etc/nginx/templates/default.conf.template');
		expect(read('deploy/nginx/Dockerfile')).toContain('COPY deploy/nginx/edge.conf /etc/nginx/templates/edge.conf.template');
	});
});

interface ComposeService {
	image?: string;
	build?: unknown;
	command?: string[];
	ports?: string[];
	restart?: string;
	healthcheck?: { test: string[] };
	depends_on?: Record<string, { condition: string }>;
	environment?: Record<string, string>;
	volumes?: string[];
}

describe('docker-compose.yml', () => {
	const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
	const services = compose.services;

	it('GIVEN the compose file THEN it validates against the compose schema and the project rules (dclint)', async () => {
		const result = await lint(bin('dclint'), ['--max-warnings', '0', 'docker-compose.yml']);
		expect(result.output.trim()).toBe('');
		expect(result.code).toBe(0);
	});

	it('GIVEN a compose file that breaks the schema THEN dclint fails on it', async () => {
		const broken = read('docker-compose.yml').replace('condition: service_completed_successfully', 'condition: [done]');
		const result = await lint(bin('dclint'), [scratchFile('compose.broken.yml', broken)]);
		expect(result.code).not.toBe(0);
		expect(result.output).toContain('invalid-schema');
	});

	it('GIVEN the stack THEN it has every service, data on named volumes, Redis with AOF, and only the edge publishes ports', () => {
		expect(Object.keys(services).sort()).toEqual(['bot', 'dashboard', 'edge', 'migrate', 'postgres', 'redis']);
		expect(services.postgres!.volumes).toContain('postgres-data:/var/lib/postgresql/data');
		expect(services.redis!.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
		expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['postgres-data', 'redis-data']));
		for (const name of ['postgres', 'redis']) expect(services[name]!.healthcheck?.test.length).toBeGreaterThan(0);
		const publishing = Object.entries(services)
			.filter(([, service]) => (service.ports ?? []).length > 0)
			.map(([name]) => name);
		expect(publishing).toEqual(['edge']);
	});

	it('GIVEN the start order THEN migrate waits for a healthy database, the bot for a finished migrate, the edge for healthy upstreams', () => {
		expect(services.migrate!.command).toEqual(['node', 'dist/migrate.js']);
		expect(services.migrate!.restart).toBe('no');
		expect(services.migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
		expect(services.bot!.depends_on).toEqual({
			migrate: { condition: 'service_completed_successfully' },
			postgres: { condition: 'service_healthy' },
			redis: { condition: 'service_healthy' }
		});
		// The one-shot already ran them: the bot refuses to start on a schema behind its code instead.
		expect(services.bot!.environment!.MIGRATE_ON_START).toBe('false');
		expect(services.edge!.depends_on).toEqual({ bot: { condition: 'service_healthy' }, dashboard: { condition: 'service_healthy' } });
		// Migrate and bot run the same image (one build, one tag to roll back).
		expect(services.migrate!.image).toBe(services.bot!.image);
	});
});

describe('.gitea/workflows/ci-cd.yml', () => {
	interface Job {
		needs?: string[];
		if?: string;
		services?: Record<string, { image: string; options?: string }>;
		steps: { uses?: string; run?: string; with?: Record<string, string>; env?: Record<string, string> }[];
	}
	const workflow = parseYaml(read('.gitea/workflows/ci-cd.yml')) as { jobs: Record<string, Job> };

	it('GIVEN the workflow THEN it validates against the workflow schema (action-validator)', async () => {
		const result = await lint(bin('action-validator'), ['.gitea/workflows/ci-cd.yml']);
		expect(result.output.trim()).toBe('');
		expect(result.code).toBe(0);
	});

	it('GIVEN a broken workflow THEN action-validator fails on it', async () => {
		const broken = read('.gitea/workflows/ci-cd.yml').replace('needs: [bot, dashboard]', 'needs: [bot, dashbord]');
		const result = await lint(bin('action-validator'), [scratchFile('ci-cd.broken.yml', broken)]);
		expect(result.code).not.toBe(0);
		expect(result.output).toContain('unresolved job dashbord');
	});

	it('GIVEN the test jobs THEN they run .ci/run with PostgreSQL and Redis service containers, and read nothing outside the checkout', () => {
		const { bot, dashboard, deploy } = workflow.jobs;
		expect(bot!.steps.map((step) => step.run).filter(Boolean)).toEqual(['bash .ci/run bot']);
		expect(dashboard!.steps.map((step) => step.run).filter(Boolean)).toEqual(['bash .ci/run dashboard']);
		for (const job of [bot!, dashboard!]) {
			expect(Object.keys(job.services ?? {}).sort()).toEqual(['postgres', 'redis']);
			for (const service of Object.values(job.services!)) expect(service.options).toContain('--health-cmd');
		}
		const text = read('.gitea/workflows/ci-cd.yml');
		expect(text).not.toMatch(/\.\.\//);
		expect(text).not.toMatch(/^\s*path:\s*\.\./m);
		expect(deploy!.needs).toEqual(['bot', 'dashboard']);
		expect(deploy!.if).toContain("github.ref == 'refs/heads/main'");
		const calls = deploy!.steps.filter((step) => step.run?.includes('coolify-deploy.sh'));
		expect(calls.map((step) => step.env?.WEBHOOK)).toEqual(
			['BACKEND', 'DASHBOARD'].map((name) => `\${{ secrets.COOLIFY_WEBHOOK_${name} }}`)
		);
		for (const step of calls) expect(step.env?.COOLIFY_TOKEN).toMatch(/secrets\.COOLIFY_TOKEN/);
	});

	it('GIVEN .ci/run THEN each part it offers the workflow is one it knows, and it is valid bash', async () => {
		expect((await lint('bash', ['-n', '.ci/run'])).code).toBe(0);
		expect((await lint('bash', ['.ci/run', 'nonsense'])).code).toBe(2);
	});
});

describe('scripts/coolify-deploy.sh (the deploy job)', () => {
	/** A webhook stand-in that answers `status` and records what it was sent. */
	async function webhook(status: number, body: string) {
		const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
		const server = createServer((request, response) => {
			seen.push({ url: request.url ?? '', headers: request.headers });
			response.writeHead(status, { 'content-type': 'application/json' }).end(body);
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const address = server.address() as { port: number };
		return { url: `http://127.0.0.1:${address.port}/api/v1/deploy?uuid=abc`, seen, close: () => server.close() };
	}
	const deploy = (args: string[], env: Record<string, string> = {}) =>
		run('bash', ['scripts/coolify-deploy.sh', ...args], { cwd: ROOT, env: { PATH: process.env.PATH!, ...env } }).then(
			({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
			(error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr })
		);

	it('GIVEN a webhook that accepts THEN it succeeds, sending the bearer token when one is set and none otherwise', async () => {
		const hook = await webhook(200, '{"deployments":[{"message":"queued"}]}');
		try {
			const withToken = await deploy(['backend', hook.url], { COOLIFY_TOKEN: 'secret-token-123' });
			expect(withToken.code).toBe(0);
			expect(withToken.output).toContain('backend: deployment queued (HTTP 200)');
			expect(withToken.output).not.toContain('secret-token-123');
			const without = await deploy(['dashboard', hook.url]);
			expect(without.code).toBe(0);
			expect(hook.seen.map((request) => request.headers.authorization)).toEqual(['Bearer secret-token-123', undefined]);
			expect(hook.seen[0]!.url).toBe('/api/v1/deploy?uuid=abc');
		} finally {
			hook.close();
		}
	});

	it('GIVEN a webhook that answers an error THEN the job fails loudly with the status and the body', async () => {
		const hook = await webhook(401, '{"message":"Unauthenticated."}');
		try {
			const result = await deploy(['backend', hook.url], { COOLIFY_TOKEN: 'wrong' });
			expect(result.code).toBe(1);
			expect(result.output).toContain('backend: the webhook answered HTTP 401');
			expect(result.output).toContain('Unauthenticated.');
		} finally {
			hook.close();
		}
	});

	it('GIVEN no webhook, a non-URL, or nothing listening THEN it fails instead of passing quietly', async () => {
		expect((await deploy(['backend', ''])).output).toContain('no Coolify webhook configured');
		expect((await deploy(['backend', 'ftp://x'])).code).toBe(1);
		const closed = await webhook(200, '');
		closed.close();
		const result = await deploy(['backend', closed.url], { COOLIFY_TIMEOUT_SECONDS: '5' });
		expect(result.code).toBe(1);
		expect(result.output).toContain('the webhook did not answer');
	});
});

describe('the environment: zod schemas, .env.example and the README table agree', () => {
	const schemaVars = new Set([...Object.keys(EnvSchema.shape), ...plugins.flatMap((plugin) => Object.keys(plugin.env?.shape ?? {}))]);
	const exampleText = read('.env.example');
	const exampleVars = new Set([...exampleText.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
	const readme = read('README.md');
	const table = readme.slice(readme.indexOf('## Environment'), readme.indexOf('## Scripts'));
	const readmeVars = new Set(
		table
			.split('\n')
			.filter((line) => line.startsWith('| `'))
			.flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]!))
	);
	const composeVars = new Set([...read('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((match) => match[1]!));
	// Read outside the schemas (the dev script, the sandbox's PGlite host): each must really be read somewhere.
	const sources = ['scripts/dev.ts', 'scripts/dashboard-dev.ts'].map(read).join('\n');
	const elsewhere = [...exampleVars].filter((name) => !schemaVars.has(name) && !composeVars.has(name));

	it('GIVEN every variable a schema parses THEN .env.example and the README document it', () => {
		expect([...schemaVars].filter((name) => !exampleVars.has(name))).toEqual([]);
		expect([...schemaVars].filter((name) => !readmeVars.has(name))).toEqual([]);
	});

	it('GIVEN every variable docker-compose.yml reads THEN .env.example and the README document it', () => {
		expect([...composeVars].filter((name) => !exampleVars.has(name))).toEqual([]);
		expect([...composeVars].filter((name) => !readmeVars.has(name))).toEqual([]);
	});

	it('GIVEN .env.example and the README table THEN they name the same variables, and none that nothing reads', () => {
		expect([...exampleVars].sort()).toEqual([...readmeVars].sort());
		for (const name of elsewhere) expect(sources, `${name} is documented but nothing reads it`).toContain(`process.env.${name}`);
	});

	it('GIVEN the values .env.example sets and shows THEN the schemas accept them', () => {
		const values: Record<string, string> = {};
		for (const match of exampleText.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=(.*)$/gm))
			if (schemaVars.has(match[1]!)) values[match[1]!] = match[2]!;
		expect(() => parseEnv(values, plugins)).not.toThrow();
	});
});
