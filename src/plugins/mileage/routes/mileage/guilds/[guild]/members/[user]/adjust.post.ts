import { Route } from '@sapphire/plugin-api';
import { DiscordAPIError, type GuildMember, RESTJSONErrorCodes } from 'discord.js';
import { parseBody, requireGuildManager, runSafely } from '../../../../../../../../core/api/index.ts';
import { isSnowflake } from '../../../../../../../../core/input.ts';
import { assertAdjustable } from '../../../../../../lib/service.ts';
import { AdjustBody, badParameter, entryView, pathParam, reply, sendMileageError } from '../../../../../_shared.ts';

/**
 * `POST /mileage/guilds/:guild/members/:user/adjust` `{points, reason}`: an admin adjustment, written at once with
 * its reason and the acting user. 201 `{entry, total}`; 400 field errors; 404 `unknown_member` for someone who is
 * not in the server, 400 `mileage_bot_member` for a bot. Nothing is written on error.
 */
export class MileageAdjustPostRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileageAdjustPost', route: 'mileage/guilds/[guild]/members/[user]/adjust', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/members/[user]/adjust', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const body = parseBody(request, response, AdjustBody);
			if (!body) return;
			const userId = pathParam(request, 'user');
			if (!isSnowflake(userId)) return badParameter(response, 'user', 'must be a Discord id (17 to 20 digits)');
			let member: GuildMember;
			try {
				member = await ctx.guild.members.fetch(userId);
			} catch (error) {
				if (
					error instanceof DiscordAPIError &&
					(error.code === RESTJSONErrorCodes.UnknownMember || error.code === RESTJSONErrorCodes.UnknownUser)
				) {
					return reply(response, 'unknown_member', 'That user is not a member of this server.');
				}
				throw error;
			}
			try {
				assertAdjustable(member.user);
				const result = await this.container.mileage.adjust(ctx.guild.id, userId, body.points, body.reason, ctx.session.userId);
				response.status(201).json({ entry: entryView(result.entry), total: result.change.after });
			} catch (error) {
				if (sendMileageError(response, error)) return;
				throw error;
			}
		});
	}
}
