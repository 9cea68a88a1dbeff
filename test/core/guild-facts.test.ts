import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DefaultGuildFacts, GuildFactsService } from '../../src/core/guild-facts.ts';
import { definePlugin } from '../../src/core/plugins/manifest.ts';

const plugin = (name: string, guildFacts?: (guildId: string) => Record<string, unknown>) =>
	definePlugin({
		name,
		description: name,
		defaultEnabled: true,
		required: false,
		directory: `/nowhere/${name}`,
		settings: z.object({}),
		entities: [],
		...(guildFacts ? { guildFacts } : {})
	});

describe('guild facts', () => {
	it('GIVEN no plugin provides facts THEN every guild has the defaults', () => {
		expect(new GuildFactsService([plugin('alpha')]).of('1')).toEqual(DefaultGuildFacts);
	});

	it('GIVEN providers THEN each field comes from the first that gives it, per guild, and the rest from the defaults', () => {
		const facts = new GuildFactsService([
			plugin('alpha'),
			plugin('beta', (guildId) => (guildId === '1' ? { timeZone: 'Europe/Berlin' } : {})),
			plugin('gamma', () => ({ timeZone: 'Asia/Tokyo', dailyChannelId: '42' }))
		]);
		expect(facts.of('1')).toEqual({ timeZone: 'Europe/Berlin', locale: 'en-US', dailyChannelId: '42' });
		expect(facts.of('2')).toEqual({ timeZone: 'Asia/Tokyo', locale: 'en-US', dailyChannelId: '42' });
	});
});
