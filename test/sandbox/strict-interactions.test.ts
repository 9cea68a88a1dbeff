import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { botRest, call, formErrorsAt, pendingInteraction, RawGateway, startEmulator } from './helpers.ts';

/*
 * Interaction responses as Discord checks them: the callback body (per response type), follow-ups and
 * edits through the interaction webhook, and autocomplete choices. A refused body is 400 / 50035 naming the
 * field, and leaves the interaction unanswered; a good body then answers it.
 */

describe('strict interaction callbacks, follow-ups and webhook edits', () => {
	let emulator: Emulator;
	let socket: RawGateway;
	let rest: ReturnType<typeof botRest>;

	beforeAll(async () => {
		// The 3-second acknowledgement deadline is not under test here; several refused callbacks in a row on a
		// loaded machine must not run into it.
		emulator = await startEmulator({
			rateLimitPerSecond: 10_000,
			routeLimits: {},
			globalRateLimitPerSecond: 10_000,
			interactionAckTimeoutMs: 60_000
		});
		rest = botRest(emulator);
		socket = await RawGateway.open(emulator);
		await socket.identify(emulator.botToken, 1);
		const res = await rest('PUT', `/applications/${emulator.applicationId}/guilds/${emulator.seed.guildId}/commands`, [
			{ name: 'plain', description: 'Plain' },
			{
				name: 'pick',
				description: 'Autocomplete',
				options: [
					{ type: 3, name: 'text', description: 'Text', autocomplete: true },
					{ type: 4, name: 'count', description: 'Count', autocomplete: true }
				]
			}
		]);
		if (res.status !== 200) throw new Error(`setup failed: ${res.text}`);
	});
	afterAll(async () => {
		socket.close();
		await emulator.stop();
	});

	const callback = (i: { id: string; token: string }, body: unknown) =>
		call(emulator, 'POST', `/api/v10/interactions/${i.id}/${i.token}/callback`, body);
	const expect50035 = (res: { status: number; body: unknown; text: string }, path: Array<string | number>, code: string) => {
		expect(res.status, res.text).toBe(400);
		expect((res.body as { code: number }).code).toBe(50035);
		expect(
			formErrorsAt(res.body, path)?.map((e) => e.code),
			res.text
		).toContain(code);
	};

	it('GIVEN a callback of an unknown type or a message over the limits THEN 50035, the interaction stays open and a good answer then lands', async () => {
		const i = await pendingInteraction(emulator, socket, { command: 'plain' });
		expect50035(await callback(i, { type: 99 }), ['type'], 'BASE_TYPE_CHOICES');
		expect50035(await callback(i, { type: 4, data: { content: 'x'.repeat(2001) } }), ['data', 'content'], 'BASE_TYPE_MAX_LENGTH');
		expect50035(
			await callback(i, { type: 4, data: { embeds: [{ title: 't'.repeat(257) }] } }),
			['data', 'embeds', 0, 'title'],
			'BASE_TYPE_MAX_LENGTH'
		);
		expect50035(
			await callback(i, { type: 4, data: { embeds: [{ description: 'd'.repeat(4000) }, { description: 'd'.repeat(2001) }] } }),
			['data', 'embeds'],
			'MAX_EMBED_SIZE_EXCEEDED'
		);
		expect50035(
			await callback(i, {
				type: 4,
				data: {
					content: 'x',
					components: [
						{
							type: 1,
							components: [
								{ type: 2, style: 1, label: 'a', custom_id: 'same' },
								{ type: 2, style: 1, label: 'b', custom_id: 'same' }
							]
						}
					]
				}
			}),
			['data', 'components', 0, 'components', 1, 'custom_id'],
			'COMPONENT_CUSTOM_ID_DUPLICATED'
		);
		expect50035(await callback(i, { type: 4, data: { content: 'x', flags: 'ephemeral' } }), ['data', 'flags'], 'NUMBER_TYPE_COERCE');
		// None of those acknowledged it: a valid answer still can.
		const ok = await callback(i, { type: 4, data: { content: 'fine', flags: 64 } });
		expect(ok.status, ok.text).toBe(204);
	});

	it('GIVEN follow-ups and edits of @original with bad bodies THEN 50035 and nothing changes; good ones pass', async () => {
		const i = await pendingInteraction(emulator, socket, { command: 'plain' });
		expect((await callback(i, { type: 4, data: { content: 'first' } })).status).toBe(204);
		const webhook = `/api/v10/webhooks/${emulator.applicationId}/${i.token}`;
		expect50035(await call(emulator, 'POST', webhook, { content: 'x'.repeat(2001) }), ['content'], 'BASE_TYPE_MAX_LENGTH');
		expect50035(
			await call(emulator, 'POST', webhook, { content: 'x', embeds: [{ url: 'ftp://x' }] }),
			['embeds', 0, 'url'],
			'URL_TYPE_INVALID_SCHEME'
		);
		const followUp = await call(emulator, 'POST', webhook, { content: 'follow-up' });
		expect(followUp.status, followUp.text).toBe(200);
		expect50035(
			await call(emulator, 'PATCH', `${webhook}/messages/@original`, { embeds: [{ timestamp: 'soon' }] }),
			['embeds', 0, 'timestamp'],
			'DATE_TYPE_PARSE'
		);
		const id = (followUp.body as { id: string }).id;
		expect50035(
			await call(emulator, 'PATCH', `${webhook}/messages/${id}`, {
				components: Array.from({ length: 6 }, (_, n) => ({ type: 1, components: [{ type: 2, style: 1, label: 'x', custom_id: `c${n}` }] }))
			}),
			['components'],
			'BASE_TYPE_MAX_LENGTH'
		);
		const original = await call(emulator, 'GET', `${webhook}/messages/@original`);
		expect((original.body as { content: string }).content).toBe('first');
		const edited = await call(emulator, 'PATCH', `${webhook}/messages/@original`, {
			content: 'edited',
			embeds: [{ title: 'ok', timestamp: new Date().toISOString() }]
		});
		expect(edited.status, edited.text).toBe(200);
	});

	it('GIVEN autocomplete choices Discord refuses THEN 50035; matching choices answer the control API', async () => {
		const text = await pendingInteraction(emulator, socket, { command: 'pick', autocomplete: 'text', options: { text: 'a' } });
		const choices = (n: number) => Array.from({ length: n }, (_, k) => ({ name: `c${k}`, value: `v${k}` }));
		expect50035(await callback(text, { type: 8, data: { choices: choices(26) } }), ['data', 'choices'], 'BASE_TYPE_MAX_LENGTH');
		expect50035(
			await callback(text, { type: 8, data: { choices: [{ name: '', value: 'v' }] } }),
			['data', 'choices', 0, 'name'],
			'BASE_TYPE_BAD_LENGTH'
		);
		expect50035(
			await callback(text, { type: 8, data: { choices: [{ name: 'n'.repeat(101), value: 'v' }] } }),
			['data', 'choices', 0, 'name'],
			'BASE_TYPE_BAD_LENGTH'
		);
		expect50035(
			await callback(text, { type: 8, data: { choices: [{ name: 'n', value: 'v'.repeat(101) }] } }),
			['data', 'choices', 0, 'value'],
			'BASE_TYPE_MAX_LENGTH'
		);
		// A string option gets string values only.
		expect50035(
			await callback(text, { type: 8, data: { choices: [{ name: 'n', value: 5 }] } }),
			['data', 'choices', 0, 'value'],
			'STRING_TYPE_CONVERT'
		);
		expect((await callback(text, { type: 8, data: { choices: choices(25) } })).status).toBe(204);

		const count = await pendingInteraction(emulator, socket, { command: 'pick', autocomplete: 'count', options: { count: '1' } });
		expect50035(
			await callback(count, { type: 8, data: { choices: [{ name: 'one', value: 'one' }] } }),
			['data', 'choices', 0, 'value'],
			'NUMBER_TYPE_COERCE'
		);
		expect50035(
			await callback(count, { type: 8, data: { choices: [{ name: 'half', value: 1.5 }] } }),
			['data', 'choices', 0, 'value'],
			'NUMBER_TYPE_COERCE'
		);
		expect((await callback(count, { type: 8, data: { choices: [{ name: 'one', value: 1 }] } })).status).toBe(204);
	});
});
