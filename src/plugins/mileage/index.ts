import { join } from 'node:path';
import { container } from '@sapphire/framework';
import { z } from 'zod';
import { mileageMigrations } from '../../../migrations/mileage/index.ts';
import { definePlugin, pluginDirectory } from '../../core/plugins/manifest.ts';
import { MileageEvent } from './entities/MileageEvent.ts';
import { MileageFlush } from './entities/MileageFlush.ts';
import { MileagePrivacy } from './entities/MileagePrivacy.ts';
import { MileageTier } from './entities/MileageTier.ts';
import { MileageTotal } from './entities/MileageTotal.ts';
import { MileageVoiceSession } from './entities/MileageVoiceSession.ts';
import { MileageService } from './lib/service.ts';
import { MileageSettings } from './lib/settings.ts';
import { TierService } from './lib/tier-service.ts';

export type { MileageService } from './lib/service.ts';
export { MileageSettings } from './lib/settings.ts';
export type { TierService } from './lib/tier-service.ts';

declare module '@sapphire/pieces' {
	interface Container {
		/** The mileage write path and queries (present when the mileage plugin is loaded). */
		mileage: MileageService;
		/** Mileage tiers and their roles. */
		mileageTiers: TierService;
	}
}

const NAME = 'mileage';

/** The mileage plugin's environment variables. */
const MileageEnv = z.object({
	/** How often buffered points are written (ms). */
	MILEAGE_FLUSH_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).optional(),
	/** Length of a credited voice minute (ms). For tests and demos only; leave unset. */
	MILEAGE_VOICE_MINUTE_MS: z.coerce.number().int().min(100).max(60_000).optional()
});

/** Activity points on a ledger, leaderboards and tier roles. */
export const mileagePlugin = definePlugin({
	name: NAME,
	description: 'Activity points on a ledger, leaderboards and tier roles',
	defaultEnabled: true,
	required: false,
	directory: pluginDirectory(NAME),
	settings: MileageSettings,
	env: MileageEnv,
	entities: [MileageEvent, MileageTotal, MileageFlush, MileageTier, MileageVoiceSession, MileagePrivacy],
	migrations: mileageMigrations,
	async start({ env, orm, client, logger, redis }) {
		const own = MileageEnv.parse(env);
		// Per guild, how often its totals changed, across the deployment's processes: a process rebuilds its cached
		// ranks only when another one wrote.
		const rankKey = (guildId: string) => `facet:mileage:${container.deployment}:ranks:${guildId}`;
		const service = new MileageService(orm, logger, {
			spillDir: join(env.DATA_DIR, 'mileage-pending'),
			// Restarts lose nothing: the gateway checkpoint stays behind the points still in memory, and moves on once written.
			eventRef: () => container.gatewaySessions?.current ?? null,
			onDurable: () => {
				container.gatewaySessions?.save().catch((error: unknown) => logger.warn({ err: error }, 'gateway checkpoint not saved'));
			},
			rankVersions: {
				bump: (guildId) => redis.incr(rankKey(guildId)),
				read: async (guildId) => Number((await redis.get(rankKey(guildId))) ?? 0)
			},
			...(own.MILEAGE_FLUSH_INTERVAL_MS ? { flushIntervalMs: own.MILEAGE_FLUSH_INTERVAL_MS } : {}),
			...(own.MILEAGE_VOICE_MINUTE_MS ? { voiceMinuteMs: own.MILEAGE_VOICE_MINUTE_MS } : {})
		});
		const tiers = new TierService(orm, client, logger);
		const settings = (guildId: string) => container.plugins.settings<MileageSettings>(guildId, NAME);
		service.voiceRate = (guildId) => (container.plugins.isEnabled(guildId, NAME) ? settings(guildId).perVoiceMinute : 0);
		service.onTotals = (changes) => tiers.onTotals(changes);
		tiers.removeLowerTiers = (guildId) => settings(guildId).removeLowerTiers;
		tiers.active = (guildId) => container.plugins.isEnabled(guildId, NAME);
		await tiers.load();
		container.gatewaySessions?.register({ lowestPending: (shardId) => service.buffer.lowestPending(shardId) });
		container.mileage = service;
		container.mileageTiers = tiers;
		await service.start();
	},
	async stop() {
		await container.mileage?.stop();
	}
});
