import { Events, Listener } from '@sapphire/framework';
import type { Client } from 'discord.js';
import { pieceActiveIn } from '../../../core/plugins/gate.ts';
import { MileageVoiceSession } from '../entities/MileageVoiceSession.ts';
import { voiceEligible } from '../lib/rules.ts';

/**
 * After a restart, picks up members who are still in voice: they keep earning from now on, with the remainder
 * persisted before the restart. Minutes while the bot was down are not credited (their state was not seen).
 */
export class MileageReadyListener extends Listener<typeof Events.ClientReady> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'mileageReady', event: Events.ClientReady, once: true });
	}

	public async run(client: Client<true>) {
		const sessions = await this.container.orm.em.fork().find(MileageVoiceSession, {});
		const remainders = new Map(sessions.map((s) => [`${s.guildId}:${s.userId}`, s.remainderMs]));
		const now = Date.now();
		for (const guild of client.guilds.cache.values()) {
			if (!pieceActiveIn(this, guild.id)) continue;
			for (const state of guild.voiceStates.cache.values()) {
				if (!state.channelId) continue;
				const eligible = voiceEligible(
					{
						channelId: state.channelId,
						selfDeaf: Boolean(state.selfDeaf),
						serverDeaf: Boolean(state.serverDeaf),
						bot: state.member?.user.bot ?? false
					},
					guild.afkChannelId
				);
				this.container.mileage.voice.restore(
					guild.id,
					state.id,
					state.channelId,
					eligible,
					remainders.get(`${guild.id}:${state.id}`) ?? 0,
					now
				);
				remainders.delete(`${guild.id}:${state.id}`);
			}
		}
		// Sessions of members who left while the bot was down are closed.
		for (const key of remainders.keys()) {
			const [guildId, userId] = key.split(':') as [string, string];
			this.container.mileage.buffer.checkpoint({ guildId, userId, channelId: null, creditedUntil: new Date(now), remainderMs: 0 });
		}
	}
}
