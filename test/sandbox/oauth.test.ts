import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { SANDBOX_CLIENT_SECRET } from '../../src/sandbox/index.ts';
import { call, startEmulator } from './helpers.ts';

const REDIRECT = 'http://localhost:4000/auth/callback';

describe('OAuth2 for the dashboard', () => {
	let emulator: Emulator;

	beforeAll(async () => {
		emulator = await startEmulator();
	});
	afterAll(async () => {
		await emulator?.stop();
	});

	const authorize = (extra: Record<string, string>) => {
		const query = new URLSearchParams({
			client_id: emulator.applicationId,
			redirect_uri: REDIRECT,
			response_type: 'code',
			scope: 'identify guilds',
			state: 'xyz-123',
			...extra
		});
		return call(emulator, 'GET', `/oauth2/authorize?${query}`);
	};

	const exchange = (code: string, redirectUri = REDIRECT, extra: Record<string, string> = {}) =>
		call(
			emulator,
			'POST',
			'/api/v10/oauth2/token',
			new URLSearchParams({
				grant_type: 'authorization_code',
				code,
				redirect_uri: redirectUri,
				client_id: emulator.applicationId,
				client_secret: SANDBOX_CLIENT_SECRET,
				...extra
			}).toString(),
			{ 'Content-Type': 'application/x-www-form-urlencoded' }
		);

	it('GIVEN login_as THEN authorize redirects with a code and the state; the code buys a token that reads /users/@me and /users/@me/guilds', async () => {
		const res = await authorize({ login_as: 'grace' });
		expect(res.status).toBe(302);
		const location = new URL(res.headers.get('location') ?? '');
		expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
		expect(location.searchParams.get('state')).toBe('xyz-123');
		const code = location.searchParams.get('code') ?? '';
		expect(code.length).toBeGreaterThan(10);

		const token = await exchange(code);
		expect(token.status).toBe(200);
		const body = token.body as { access_token: string; token_type: string; expires_in: number; refresh_token: string; scope: string };
		expect(body.token_type).toBe('Bearer');
		expect(body.scope).toBe('identify guilds');
		expect(body.expires_in).toBeGreaterThan(0);

		const me = await call(emulator, 'GET', '/api/v10/users/@me', undefined, { Authorization: `Bearer ${body.access_token}` });
		expect(me.status).toBe(200);
		expect(me.body).toMatchObject({ id: emulator.seed.users.grace, username: 'grace', global_name: 'Grace' });

		const guilds = await call(emulator, 'GET', '/api/v10/users/@me/guilds', undefined, { Authorization: `Bearer ${body.access_token}` });
		expect(guilds.status).toBe(200);
		const [guild] = guilds.body as Array<{ id: string; owner: boolean; permissions: string }>;
		expect(guild?.id).toBe(emulator.seed.guildId);
		expect(guild?.owner).toBe(false);
		// Grace is Admin: Manage Server (1 << 5) is in her permissions.
		expect(BigInt(guild?.permissions ?? '0') & (1n << 5n)).toBe(1n << 5n);

		// Bearer tokens are only good for the user routes.
		const forbidden = await call(emulator, 'GET', `/api/v10/guilds/${emulator.seed.guildId}`, undefined, {
			Authorization: `Bearer ${body.access_token}`
		});
		expect(forbidden.status).toBe(401);

		const reused = await exchange(code);
		expect(reused.status).toBe(400);
		expect(reused.body).toMatchObject({ error: 'invalid_grant' });

		const refreshed = await call(emulator, 'POST', '/api/v10/oauth2/token', {
			grant_type: 'refresh_token',
			refresh_token: body.refresh_token,
			client_id: emulator.applicationId,
			client_secret: SANDBOX_CLIENT_SECRET
		});
		expect(refreshed.status).toBe(200);
		const again = refreshed.body as { access_token: string };
		expect(again.access_token).not.toBe(body.access_token);

		const revoked = await call(
			emulator,
			'POST',
			'/api/v10/oauth2/token/revoke',
			new URLSearchParams({ token: again.access_token }).toString(),
			{
				'Content-Type': 'application/x-www-form-urlencoded',
				Authorization: `Basic ${Buffer.from(`${emulator.applicationId}:${SANDBOX_CLIENT_SECRET}`).toString('base64')}`
			}
		);
		expect(revoked.status).toBe(200);
		const afterRevoke = await call(emulator, 'GET', '/api/v10/users/@me', undefined, { Authorization: `Bearer ${again.access_token}` });
		expect(afterRevoke.status).toBe(401);
	});

	it('GIVEN no login_as THEN authorize serves a page with one approve link per sandbox person', async () => {
		const res = await authorize({});
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toContain('text/html');
		for (const name of ['ada', 'grace', 'linus', 'margaret', 'alan']) expect(res.text).toContain(`@${name}`);
		expect(res.text).toContain(`login_as=${emulator.seed.users.ada}`);
		expect(res.text).not.toContain('@Facet');
	});

	it('GIVEN a bad client_id, response_type or user THEN authorize answers 400', async () => {
		expect((await authorize({ client_id: '1' })).status).toBe(400);
		expect((await authorize({ response_type: 'token' })).status).toBe(400);
		expect((await authorize({ login_as: 'nobody' })).status).toBe(400);
	});

	it('GIVEN a mismatched redirect_uri or wrong secret THEN the token endpoint refuses', async () => {
		const res = await authorize({ login_as: emulator.seed.users.ada });
		const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
		const mismatch = await exchange(code, 'http://localhost:4000/elsewhere');
		expect(mismatch.status).toBe(400);
		expect(mismatch.body).toMatchObject({ error: 'invalid_grant' });
		const wrongSecret = await call(emulator, 'POST', '/api/v10/oauth2/token', {
			grant_type: 'authorization_code',
			code,
			redirect_uri: REDIRECT,
			client_id: emulator.applicationId,
			client_secret: 'nope'
		});
		expect(wrongSecret.status).toBe(401);
		expect(wrongSecret.body).toMatchObject({ error: 'invalid_client' });
	});

	describe('PKCE (RFC 7636), as Discord checks it', () => {
		const verifier = `${'v'.repeat(20)}-._~${'K'.repeat(30)}`;
		const challenge = createHash('sha256').update(verifier).digest('base64url');
		const codeFor = async (extra: Record<string, string>) => {
			const res = await authorize({ login_as: 'ada', ...extra });
			expect(res.status, res.text).toBe(302);
			return new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
		};
		const pkce = { code_challenge: challenge, code_challenge_method: 'S256' };

		it('GIVEN an S256 challenge THEN only its verifier buys the token; missing, malformed or wrong verifiers are refused and spend the code', async () => {
			for (const [extra, error, description] of [
				[{}, 'invalid_request', 'Missing "code_verifier"'],
				[{ code_verifier: 'short' }, 'invalid_request', 'Invalid "code_verifier"'],
				[{ code_verifier: 'w'.repeat(43) }, 'invalid_grant', 'Invalid "code_verifier"']
			] as const) {
				const code = await codeFor(pkce);
				const refused = await exchange(code, REDIRECT, extra);
				expect([refused.status, refused.body]).toEqual([400, { error, error_description: description }]);
				expect((await exchange(code, REDIRECT, { code_verifier: verifier })).status).toBe(400);
			}
			const ok = await exchange(await codeFor(pkce), REDIRECT, { code_verifier: verifier });
			expect(ok.status).toBe(200);
			expect(ok.body).toMatchObject({ token_type: 'Bearer' });
		});

		it('GIVEN another method, a challenge without a method or a bad challenge THEN authorize answers 400 invalid_request', async () => {
			for (const [extra, description] of [
				[{ code_challenge: challenge, code_challenge_method: 'plain' }, 'Unsupported "code_challenge_method"'],
				[{ code_challenge: challenge }, 'Unsupported "code_challenge_method"'],
				[{ code_challenge: 'short', code_challenge_method: 'S256' }, 'Invalid "code_challenge"'],
				[{ code_challenge_method: 'S256' }, 'Missing "code_challenge"']
			] as const) {
				const res = await authorize({ login_as: 'ada', ...extra });
				expect([res.status, res.body]).toEqual([400, { error: 'invalid_request', error_description: description }]);
			}
		});

		it('GIVEN a code issued without a challenge THEN a verifier sent with it is refused (PKCE cannot be added after the fact)', async () => {
			const refused = await exchange(await codeFor({}), REDIRECT, { code_verifier: verifier });
			expect([refused.status, (refused.body as { error: string }).error]).toEqual([400, 'invalid_grant']);
		});
	});
});
