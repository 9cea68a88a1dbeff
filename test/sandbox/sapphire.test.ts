import { ApplicationCommandRegistries, Command, container, LogLevel, SapphireClient } from '@sapphire/framework';
import type { ApplicationCommandManager, ClientOptions, Collection } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, VisibleReply } from '../../src/sandbox/index.ts';
import { SANDBOX_SEED } from '../../src/sandbox/index.ts';
import { ALL_INTENTS, startEmulator, waitFor } from './helpers.ts';

/** A one-command Sapphire bot, registered as a guild command in the sandbox guild. */
class SandboxPingCommand extends Command {
	override registerApplicationCommands(registry: Command.Registry): void {
		registry.registerChatInputCommand((builder) => builder.setName('sandboxping').setDescription('Ping the sandbox'), {
			guildIds: [SANDBOX_SEED.guildId]
		});
		// A global command with every kind of option, to check Sapphire finds the stored copy identical on restart.
		registry.registerChatInputCommand((builder) =>
			builder
				.setName('sandboxglobal')
				.setDescription('Global command')
				.setDefaultMemberPermissions(32)
				.addSubcommand((sub) =>
					sub
						.setName('adjust')
						.setDescription('Adjust')
						.addUserOption((o) => o.setName('who').setDescription('Who').setRequired(true))
						.addIntegerOption((o) => o.setName('points').setDescription('Points').setMinValue(-5).setMaxValue(5))
						.addStringOption((o) => o.setName('reason').setDescription('Why').addChoices({ name: 'Help', value: 'help' }))
						.addChannelOption((o) => o.setName('where').setDescription('Where').addChannelTypes(0))
				)
		);
	}

	override async chatInputRun(interaction: Command.ChatInputCommandInteraction): Promise<void> {
		await interaction.reply({ content: `pong from ${interaction.guild?.name}` });
	}
}

describe('a SapphireClient against the sandbox', () => {
	let emulator: Emulator;
	let client: SapphireClient;

	beforeAll(async () => {
		emulator = await startEmulator();
		container.stores.loadPiece({ store: 'commands', name: 'sandboxping', piece: SandboxPingCommand });
		client = new SapphireClient({
			intents: ALL_INTENTS,
			rest: { api: emulator.restUrl },
			baseUserDirectory: null,
			loadMessageCommandListeners: false,
			logger: { level: LogLevel.None }
		} as unknown as ClientOptions);
		await client.login(emulator.botToken);
	});

	afterAll(async () => {
		await client?.destroy();
		await emulator?.stop();
	});

	it('GIVEN Sapphire starts THEN it registers its guild command with the emulator', async () => {
		const commands = await waitFor(
			() => {
				const list = emulator.guildCommands(emulator.seed.guildId);
				return list.some((c) => c.name === 'sandboxping') && list.some((c) => c.name === 'sandboxglobal') ? list : undefined;
			},
			10_000,
			'Sapphire command registration'
		);
		expect(commands.find((c) => c.name === 'sandboxping')).toMatchObject({
			description: 'Ping the sandbox',
			guild_id: emulator.seed.guildId
		});
		// What Sapphire's registry did: fetch global and guild commands, then create the missing one.
		expect(emulator.stats.restByRoute['GET /applications/{application_id}/commands']).toBe(1);
		expect(emulator.stats.restByRoute['GET /applications/{application_id}/guilds/{guild_id}/commands']).toBe(1);
		expect(emulator.stats.restByRoute['POST /applications/{application_id}/guilds/{guild_id}/commands']).toBe(1);
		expect(emulator.stats.restByRoute['POST /applications/{application_id}/commands']).toBe(1);
	});

	it('GIVEN a restart (registry diff against the stored commands) THEN Sapphire finds nothing to update', async () => {
		const commands = client.application?.commands as ApplicationCommandManager;
		const global = await commands.fetch({ withLocalizations: true });
		const guild = await commands.fetch({ guildId: emulator.seed.guildId, withLocalizations: true });
		const before = { ...emulator.stats.restByRoute };
		// What CoreReady runs on every start, minus the store loading: compare and PATCH/POST what differs.
		const registry = ApplicationCommandRegistries.acquire('sandboxping') as unknown as {
			runAPICalls(m: ApplicationCommandManager, g: Collection<string, unknown>, byGuild: Map<string, unknown>): Promise<void>;
		};
		await registry.runAPICalls(commands, global, new Map([[emulator.seed.guildId, guild]]));
		const writes = Object.entries(emulator.stats.restByRoute).filter(([key, count]) => !key.startsWith('GET') && count !== before[key]);
		expect(writes).toEqual([]);
		expect(global.map((c) => c.name)).toEqual(['sandboxglobal']);
	});

	it('GIVEN a person runs the command THEN the Sapphire command answers through the control API', async () => {
		const { seed } = emulator;
		const reply = (await emulator.runInteraction({
			guild_id: seed.guildId,
			channel_id: seed.channels.general,
			user_id: seed.users.ada,
			command: 'sandboxping'
		})) as VisibleReply;
		expect(reply.content).toBe('pong from Facet Sandbox');
		expect(reply.ephemeral).toBe(false);
	});
});
