import { join } from 'node:path';
import { container } from '@sapphire/framework';
import { definePlugin, pluginDirectory } from '../../core/plugins/manifest.ts';
import { MileageEvent } from './entities/MileageEvent.ts';
import { MileageFlush } from './entities/MileageFlush.ts';
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

/** Activity points on a ledger, leaderboards and tier roles. */
export const mileagePlugin = definePlugin({
	name: NAME,
	description: 'Activity points on a ledger, leaderboards and tier roles',
	defaultEnabled: true,
	required: false,
	directory: pluginDirectory(NAME),
	settings: MileageSettings,
	entities: [MileageEvent, MileageTotal, MileageFlush, MileageTier, MileageVoiceSession],
	async start({ env, orm, client, logger }) {
		const service = new MileageService(orm, logger, {
			spillDir: join(env.DATA_DIR, 'mileage-pending'),
			...(env.MILEAGE_FLUSH_INTERVAL_MS ? { flushIntervalMs: env.MILEAGE_FLUSH_INTERVAL_MS } : {}),
			...(env.MILEAGE_VOICE_MINUTE_MS ? { voiceMinuteMs: env.MILEAGE_VOICE_MINUTE_MS } : {})
		});
		const tiers = new TierService(orm, client, logger);
		const settings = (guildId: string) => container.plugins.settings<MileageSettings>(guildId, NAME);
		service.voiceRate = (guildId) => (container.plugins.isEnabled(guildId, NAME) ? settings(guildId).perVoiceMinute : 0);
		service.onTotals = (changes) => tiers.onTotals(changes);
		tiers.removeLowerTiers = (guildId) => settings(guildId).removeLowerTiers;
		tiers.active = (guildId) => container.plugins.isEnabled(guildId, NAME);
		await tiers.load();
		container.mileage = service;
		container.mileageTiers = tiers;
		await service.start();
	},
	async stop() {
		await container.mileage?.stop();
	}
});
