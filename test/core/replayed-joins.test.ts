import type { Client } from 'discord.js';
import { Events } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitReplayedJoins } from '../../src/core/replayed-joins.ts';
import type { Emulator } from '../../src/sandbox/index.ts';
import { connectClient, startEmulator, waitFor } from '../sandbox/helpers.ts';

describe('joins replayed by a RESUME reach guildMemberAdd', () => {
	let emulator: Emulator;
	let plain: Client<true>;
	let fixed: Client<true>;
	const joined = { plain: [] as string[], fixed: [] as string[] };

	beforeAll(async () => {
		emulator = await startEmulator();
		plain = await connectClient(emulator);
		fixed = await connectClient(emulator);
		emitReplayedJoins(fixed);
		plain.on(Events.GuildMemberAdd, (member) => void joined.plain.push(member.id));
		fixed.on(Events.GuildMemberAdd, (member) => void joined.fixed.push(member.id));
	});
	afterAll(async () => {
		await plain?.destroy();
		await fixed?.destroy();
		await emulator?.stop();
	});

	it('GIVEN members who join while the connection is cut (1006) THEN after the RESUME each join is emitted once (stock discord.js caches them and emits none)', async () => {
		const resumes = emulator.stats.resumes;
		emulator.injectFault({ kind: 'gateway_disconnect', close_code: 1006 });
		const during = ['gap_one', 'gap_two', 'gap_three'].map(
			(username) => (emulator.joinMember({ guild_id: emulator.seed.guildId, username }).user as { id: string }).id
		);
		// A long replay after the joins, as after a real outage: its frames arrive over several reads, so discord.js
		// handles the joins before RESUMED has come in.
		const { seed } = emulator;
		emulator.sendMessages(
			Array.from({ length: 2_000 }, (_, i) => ({
				guild_id: seed.guildId,
				channel_id: seed.channels.general,
				user_id: seed.users.ada,
				content: `filler ${i}`
			}))
		);
		await waitFor(() => emulator.stats.resumes >= resumes + 2, 15_000, 'both clients to resume');
		await waitFor(
			() =>
				during.every(
					(id) =>
						fixed.guilds.cache.get(emulator.seed.guildId)?.members.cache.has(id) &&
						plain.guilds.cache.get(emulator.seed.guildId)?.members.cache.has(id)
				),
			5_000,
			'the replayed members in both caches'
		);
		const after = (emulator.joinMember({ guild_id: emulator.seed.guildId, username: 'after_resume' }).user as { id: string }).id;
		await waitFor(() => joined.plain.includes(after) && joined.fixed.includes(after), 5_000, 'the live join');
		expect(joined.fixed).toEqual([...during, after]);
		// What the fix is for: discord.js alone drops the replayed joins (its shard is still "resuming").
		expect(joined.plain).toEqual([after]);
	});
});
