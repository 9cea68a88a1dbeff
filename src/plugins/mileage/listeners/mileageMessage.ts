import { Events, Listener } from '@sapphire/framework';
import type { Message } from 'discord.js';
import { basePoints, Cooldowns } from '../lib/rules.ts';
import type { MileageSettings } from '../lib/settings.ts';

const cooldowns = new Cooldowns();

/** Points per message: memory only (settings from the cache, points into the buffer). */
export class MileageMessageListener extends Listener<typeof Events.MessageCreate> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'mileageMessage', event: Events.MessageCreate });
	}

	public run(message: Message) {
		const guildId = message.guildId;
		if (!guildId || message.author.bot || message.webhookId) return;
		const settings = this.container.plugins.settings<MileageSettings>(guildId, 'mileage');
		const now = Date.now();
		const points = basePoints(
			{
				kind: 'message',
				guildId,
				userId: message.author.id,
				channelId: message.channelId,
				bot: false,
				// Building a member's role collection costs more than the rest of this listener: only when a role is ignored.
				roleIds: settings.ignoredRoles.length > 0 ? (message.member?.roles.cache.map((role) => role.id) ?? []) : [],
				length: message.content.length,
				now
			},
			settings
		);
		if (points === 0) return;
		// The key is built only when there is a cooldown to look up (it is a string per event otherwise).
		if (settings.cooldownSeconds > 0 && !cooldowns.take(`${guildId}:${message.author.id}:message`, now, settings.cooldownSeconds * 1_000))
			return;
		this.container.mileage.award(guildId, message.author.id, 'message', points);
	}
}
