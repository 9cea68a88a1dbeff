import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { botRest, call, formErrorsAt, startEmulator } from './helpers.ts';

/*
 * Message bodies as Discord checks them: the published request schema (types, lengths, formats) and the limits
 * Discord adds (embed total, URL schemes, components layout, custom_id uniqueness, select values, uploads,
 * mentions). Each refused body is 400 / 50035 with the field path, and nothing is posted; a good one passes.
 */

describe('strict message bodies (POST/PATCH /channels/{id}/messages)', () => {
	let emulator: Emulator;
	let rest: ReturnType<typeof botRest>;
	let channel: string;

	beforeAll(async () => {
		emulator = await startEmulator({ rateLimitPerSecond: 10_000, routeLimits: {}, globalRateLimitPerSecond: 10_000 });
		rest = botRest(emulator);
		channel = emulator.seed.channels.general;
	});
	afterAll(async () => {
		await emulator.stop();
	});

	/** Posts `body`, expects 50035 with `code` at `path` and nothing posted. */
	async function refused(body: unknown, path: Array<string | number>, code: string) {
		const before = emulator.channelMessages(channel).length;
		const res = await rest('POST', `/channels/${channel}/messages`, body);
		expect(res.status, res.text).toBe(400);
		expect((res.body as { code: number; message: string }).code).toBe(50035);
		expect((res.body as { message: string }).message).toBe('Invalid Form Body');
		expect(
			formErrorsAt(res.body, path)?.map((e) => e.code),
			res.text
		).toContain(code);
		expect(emulator.channelMessages(channel).length).toBe(before);
		return res;
	}
	async function accepted(body: unknown) {
		const res = await rest('POST', `/channels/${channel}/messages`, body);
		expect(res.status, res.text).toBe(200);
		return res.body as { id: string; mentions: Array<{ id: string }>; mention_roles: string[]; mention_everyone: boolean };
	}

	const embed = (fields: Record<string, unknown>) => ({ embeds: [{ title: 'ok', ...fields }] });
	const row = (components: unknown[]) => ({ type: 1, components });
	const button = (id: string, extra: Record<string, unknown> = {}) => ({ type: 2, style: 1, label: 'Go', custom_id: id, ...extra });

	it('GIVEN fields of the wrong type (schema) THEN each is named with its Discord code', async () => {
		await refused({ content: 5 }, ['content'], 'STRING_TYPE_CONVERT');
		await refused({ content: 'x', tts: 'yes' }, ['tts'], 'BOOLEAN_TYPE_CONVERT');
		await refused({ content: 'x', embeds: {} }, ['embeds'], 'LIST_TYPE_CONVERT');
		await refused({ content: 'x', embeds: [{ color: 'red' }] }, ['embeds', 0, 'color'], 'NUMBER_TYPE_COERCE');
		await refused({ content: 'x', message_reference: { message_id: 'abc' } }, ['message_reference', 'message_id'], 'NUMBER_TYPE_COERCE');
		await refused(
			{ content: 'x', embeds: [{ fields: [{ name: 'only a name' }] }] },
			['embeds', 0, 'fields', 0, 'value'],
			'BASE_TYPE_REQUIRED'
		);
		await accepted({ content: 'hello', tts: false, embeds: [{ title: 'ok', color: 0x3498db }] });
	});

	it('GIVEN content over 2000 characters THEN refused; exactly 2000 passes', async () => {
		await refused({ content: 'x'.repeat(2001) }, ['content'], 'BASE_TYPE_MAX_LENGTH');
		await accepted({ content: 'x'.repeat(2000) });
	});

	it('GIVEN each embed field over its limit THEN refused at that field; at the limit passes', async () => {
		await refused({ embeds: Array.from({ length: 11 }, () => ({ title: 't' })) }, ['embeds'], 'BASE_TYPE_MAX_LENGTH');
		await refused(embed({ title: 't'.repeat(257) }), ['embeds', 0, 'title'], 'BASE_TYPE_MAX_LENGTH');
		await refused(embed({ description: 'd'.repeat(4097) }), ['embeds', 0, 'description'], 'BASE_TYPE_MAX_LENGTH');
		const fields = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `f${i}`, value: 'v' }));
		await refused(embed({ fields: fields(26) }), ['embeds', 0, 'fields'], 'BASE_TYPE_MAX_LENGTH');
		await refused(embed({ fields: [{ name: 'n'.repeat(257), value: 'v' }] }), ['embeds', 0, 'fields', 0, 'name'], 'BASE_TYPE_MAX_LENGTH');
		await refused(embed({ fields: [{ name: 'n', value: 'v'.repeat(1025) }] }), ['embeds', 0, 'fields', 0, 'value'], 'BASE_TYPE_MAX_LENGTH');
		await refused(embed({ footer: { text: 'f'.repeat(2049) } }), ['embeds', 0, 'footer', 'text'], 'BASE_TYPE_MAX_LENGTH');
		await refused(embed({ author: { name: 'a'.repeat(257) } }), ['embeds', 0, 'author', 'name'], 'BASE_TYPE_MAX_LENGTH');
		await accepted({
			embeds: [
				{
					title: 't'.repeat(256),
					description: 'd'.repeat(1000),
					fields: [{ name: 'n'.repeat(256), value: 'v'.repeat(1024) }, ...fields(24)],
					footer: { text: 'f'.repeat(500) },
					author: { name: 'a'.repeat(256) }
				}
			]
		});
	});

	it('GIVEN embeds over 6,000 characters together THEN MAX_EMBED_SIZE_EXCEEDED; 6,000 passes', async () => {
		// Each embed is within its own limits; only the total is too much.
		const big = (n: number) => ({ description: 'd'.repeat(n) });
		await refused({ embeds: [big(4000), big(2001)] }, ['embeds'], 'MAX_EMBED_SIZE_EXCEEDED');
		await refused(
			{ embeds: [{ title: 't'.repeat(256), description: 'd'.repeat(4096) }, { footer: { text: 'f'.repeat(1649) } }] },
			['embeds'],
			'MAX_EMBED_SIZE_EXCEEDED'
		);
		await accepted({ embeds: [big(4000), big(2000)] });
	});

	it('GIVEN embed URLs that are not http(s) or attachment, or a timestamp not ISO8601 THEN refused', async () => {
		await refused(embed({ url: 'ftp://example.com/x' }), ['embeds', 0, 'url'], 'URL_TYPE_INVALID_SCHEME');
		await refused(embed({ url: 'attachment://x.png' }), ['embeds', 0, 'url'], 'URL_TYPE_INVALID_SCHEME');
		await refused(embed({ url: 'not a url' }), ['embeds', 0, 'url'], 'URL_TYPE_INVALID_URL');
		await refused(embed({ image: { url: 'javascript:alert(1)' } }), ['embeds', 0, 'image', 'url'], 'URL_TYPE_INVALID_SCHEME');
		await refused(embed({ timestamp: 'yesterday' }), ['embeds', 0, 'timestamp'], 'DATE_TYPE_PARSE');
		await accepted(
			embed({
				url: 'https://example.com/a',
				image: { url: 'attachment://chart.png' },
				thumbnail: { url: 'http://example.com/t.png' },
				timestamp: '2026-12-02T10:00:00.000Z'
			})
		);
	});

	it('GIVEN component layouts Discord refuses THEN each is refused; a full valid layout passes', async () => {
		const rows = (n: number) => Array.from({ length: n }, (_, i) => row([button(`r${i}`)]));
		await refused({ components: rows(6) }, ['components'], 'BASE_TYPE_MAX_LENGTH');
		await refused(
			{ components: [row(Array.from({ length: 6 }, (_, i) => button(`b${i}`)))] },
			['components', 0, 'components'],
			'BASE_TYPE_BAD_LENGTH'
		);
		await refused(
			{ components: [row([button('a', { label: 'l'.repeat(81) })])] },
			['components', 0, 'components', 0, 'label'],
			'BASE_TYPE_MAX_LENGTH'
		);
		await refused(
			{ components: [row([button('c'.repeat(101))])] },
			['components', 0, 'components', 0, 'custom_id'],
			'BASE_TYPE_BAD_LENGTH'
		);
		await refused(
			{ components: [row([button('same')]), row([button('same')])] },
			['components', 1, 'components', 0, 'custom_id'],
			'COMPONENT_CUSTOM_ID_DUPLICATED'
		);
		const select = (options: number, extra: Record<string, unknown> = {}) => ({
			type: 3,
			custom_id: 'pick',
			options: Array.from({ length: options }, (_, i) => ({ label: `o${i}`, value: `v${i}` })),
			...extra
		});
		await refused({ components: [row([select(26)])] }, ['components', 0, 'components', 0, 'options'], 'BASE_TYPE_BAD_LENGTH');
		await refused(
			{ components: [row([select(3, { min_values: 3, max_values: 2 })])] },
			['components', 0, 'components', 0, 'min_values'],
			'SELECT_COMPONENT_MIN_VALUES_INVALID'
		);
		await refused(
			{ components: [row([select(3, { max_values: 4 })])] },
			['components', 0, 'components', 0, 'max_values'],
			'SELECT_COMPONENT_MAX_VALUES_INVALID'
		);
		await refused({ components: [row([select(3), button('next')])] }, ['components', 0, 'components'], 'COMPONENT_LAYOUT_WIDTH_EXCEEDED');
		await accepted({
			content: 'menu',
			components: [
				row(Array.from({ length: 5 }, (_, i) => button(`ok${i}`, { label: 'l'.repeat(80) }))),
				row([select(25, { min_values: 1, max_values: 25 })]),
				row([button('c'.repeat(100))]),
				row([{ type: 2, style: 5, label: 'Docs', url: 'https://example.com' }]),
				row([button('last')])
			]
		});
	});

	it('GIVEN allowed_mentions THEN only the allowed users and roles are in the created message; @everyone needs Mention Everyone', async () => {
		const { users, roles, guildId } = emulator.seed;
		const content = `<@${users.grace}> <@${users.alan}> <@&${roles.member}> @everyone`;
		// Default (no allowed_mentions): users ping; the role is not mentionable and the bot lacks Mention Everyone.
		const plain = await accepted({ content });
		expect(plain.mentions.map((u) => u.id).sort()).toEqual([users.grace, users.alan].sort());
		expect(plain.mention_roles).toEqual([]);
		expect(plain.mention_everyone).toBe(false);
		const onlyGrace = await accepted({ content, allowed_mentions: { users: [users.grace] } });
		expect(onlyGrace.mentions.map((u) => u.id)).toEqual([users.grace]);
		const none = await accepted({ content, allowed_mentions: { parse: [] } });
		expect(none.mentions).toEqual([]);
		await refused(
			{ content, allowed_mentions: { parse: ['users'], users: [users.grace] } },
			['allowed_mentions', 'parse'],
			'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE'
		);
		await refused({ content, allowed_mentions: { parse: ['nobody'] } }, ['allowed_mentions', 'parse', 0], 'BASE_TYPE_CHOICES');

		// With Mention Everyone the bot's @everyone and role mentions ping, unless allowed_mentions leaves them out.
		const botRole = emulator
			.snapshot()
			.guilds.find((g) => g.id === guildId)
			?.roles.find((r) => r.id === roles.bot);
		await call(emulator, 'PATCH', `/_emulator/roles/${roles.bot}`, {
			guild_id: guildId,
			permissions: String(BigInt(botRole?.permissions ?? '0') | (1n << 17n))
		});
		const loud = await accepted({ content });
		expect(loud.mention_everyone).toBe(true);
		expect(loud.mention_roles).toEqual([roles.member]);
		const quiet = await accepted({ content, allowed_mentions: { parse: ['users'] } });
		expect(quiet.mention_everyone).toBe(false);
		expect(quiet.mention_roles).toEqual([]);
		// What the gateway dispatched is the same record.
		const stored = emulator.channelMessages(channel).find((m) => m.id === quiet.id) as { mention_everyone?: boolean } | undefined;
		expect(stored?.mention_everyone ?? false).toBe(false);
	});

	it('GIVEN an edit with a bad body THEN 50035 and the message is unchanged', async () => {
		const { id } = await accepted({ content: 'original' });
		const res = await rest('PATCH', `/channels/${channel}/messages/${id}`, { embeds: [{ title: 't'.repeat(257) }] });
		expect(res.status).toBe(400);
		expect(formErrorsAt(res.body, ['embeds', 0, 'title'])?.[0]?.code).toBe('BASE_TYPE_MAX_LENGTH');
		const edited = await rest('PATCH', `/channels/${channel}/messages/${id}`, { content: 'y'.repeat(2001) });
		expect(formErrorsAt(edited.body, ['content'])?.[0]?.code).toBe('BASE_TYPE_MAX_LENGTH');
		const got = await rest('GET', `/channels/${channel}/messages/${id}`);
		expect((got.body as { content: string; embeds: unknown[] }).content).toBe('original');
		const good = await rest('PATCH', `/channels/${channel}/messages/${id}`, { content: 'changed', embeds: [{ title: 'ok' }] });
		expect(good.status).toBe(200);
	});

	it('GIVEN an upload over 10 MiB THEN 413 / 40005 and nothing is posted; a small file passes', async () => {
		const upload = async (size: number) => {
			const form = new FormData();
			form.append('payload_json', JSON.stringify({ content: 'file', attachments: [{ id: 0, filename: 'a.bin' }] }));
			form.append('files[0]', new Blob([new Uint8Array(size)]), 'a.bin');
			const res = await fetch(`${emulator.restUrl}/v10/channels/${channel}/messages`, {
				method: 'POST',
				headers: { Authorization: `Bot ${emulator.botToken}` },
				body: form
			});
			return { status: res.status, body: (await res.json()) as { code: number } };
		};
		const before = emulator.channelMessages(channel).length;
		const big = await upload(10 * 1024 * 1024 + 1);
		expect(big.status).toBe(413);
		expect(big.body.code).toBe(40005);
		expect(emulator.channelMessages(channel).length).toBe(before);
		const small = await upload(1024);
		expect(small.status, JSON.stringify(small.body)).toBe(200);
	});
});
