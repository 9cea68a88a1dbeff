import { Events, Listener } from '@sapphire/framework';
import type { VoiceState } from 'discord.js';
import { voiceEligible } from '../lib/rules.ts';
import type { MileageSettings } from '../lib/settings.ts';

/** Tracks eligible voice time; minutes are credited at each flush. */
export class MileageVoiceListener extends Listener<typeof Events.VoiceStateUpdate> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'mileageVoice', event: Events.VoiceStateUpdate });
	}

	public run(_old: VoiceState, state: VoiceState) {
		const guild = state.guild;
		const settings = this.container.plugins.settings<MileageSettings>(guild.id, 'mileage');
		const bot = state.member?.user.bot ?? false;
		const ignoredChannel = state.channelId !== null && settings.ignoredChannels.includes(state.channelId);
		const ignoredRole = state.member?.roles.cache.some((role) => settings.ignoredRoles.includes(role.id)) ?? false;
		const eligible =
			!ignoredChannel &&
			!ignoredRole &&
			voiceEligible(
				{ channelId: state.channelId, selfDeaf: Boolean(state.selfDeaf), serverDeaf: Boolean(state.serverDeaf), bot },
				guild.afkChannelId
			);
		this.container.mileage.voice.update(guild.id, state.id, state.channelId, eligible, Date.now());
	}
}
