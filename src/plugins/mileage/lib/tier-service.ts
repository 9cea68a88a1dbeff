import type { MikroORM } from '@mikro-orm/postgresql';
import type { SapphireClient } from '@sapphire/framework';
import { DiscordAPIError, type Guild, type GuildMember, PermissionFlagsBits, RESTJSONErrorCodes } from 'discord.js';
import type { Logger } from 'pino';
import { FieldError } from '../../../core/errors.ts';
import { fetchAllIfSmall, membersByIds } from '../../../core/members.ts';
import { SlidingWindowPacer } from '../../../core/pacing.ts';
import { MileageTier } from '../entities/MileageTier.ts';
import { MileageError, MileageIdentifiers } from './errors.ts';
import { dangerousPermissions } from './grants.ts';
import type { TotalChange } from './store.ts';
import { crossesThreshold, type TierRule, tierRoleChanges } from './tiers.ts';

/** Role grants and removals per second at most (Discord allows 50 requests/s in all). */
const ROLE_WRITES_PER_SECOND = 40;

/** A tier as listed to admins, with why its role cannot be assigned (if so). */
export interface TierView extends TierRule {
	problem: string | null;
}

/**
 * Tier definitions (cached in memory, one query at start) and the role changes they imply. Role updates run
 * one at a time through discord.js' rate-limited REST queue; a role the bot cannot assign is recorded as the
 * tier's problem and not retried until the tiers are synced again.
 */
export class TierService {
	readonly #orm: MikroORM;
	readonly #client: SapphireClient;
	readonly #logger: Logger;
	readonly #tiers = new Map<string, TierView[]>();
	#queue: Promise<unknown> = Promise.resolve();
	/**
	 * Role writes stay under Discord's global 50 requests/s in any second, with room left for everything else the bot
	 * sends meanwhile (a sync of thousands of members would otherwise burst past it).
	 */
	readonly #roleWrites = new SlidingWindowPacer(ROLE_WRITES_PER_SECOND, 1_000);
	/** Reads a guild's `removeLowerTiers` setting. */
	public removeLowerTiers: (guildId: string) => boolean = () => false;
	/** Whether mileage is on in the guild (role changes are skipped where it is off). */
	public active: (guildId: string) => boolean = () => true;

	public constructor(orm: MikroORM, client: SapphireClient, logger: Logger) {
		this.#orm = orm;
		this.#client = client;
		this.#logger = logger;
	}

	/** Loads every guild's tiers. */
	public async load(): Promise<void> {
		const rows = await this.#orm.em.fork().find(MileageTier, {}, { orderBy: { threshold: 'asc' } });
		this.#tiers.clear();
		for (const row of rows) this.#cache(row);
	}

	#cache(row: { id: number; guildId: string; name: string; threshold: number; roleId: string; problem?: string | null }) {
		const list = this.#tiers.get(row.guildId) ?? [];
		list.push({ id: row.id, name: row.name, threshold: row.threshold, roleId: row.roleId, problem: row.problem ?? null });
		list.sort((a, b) => a.threshold - b.threshold);
		this.#tiers.set(row.guildId, list);
	}

	/** The guild's tiers, lowest threshold first. */
	public list(guildId: string): readonly TierView[] {
		return this.#tiers.get(guildId) ?? [];
	}

	/** The dangerous permissions (see `grants.ts`) a tier's role carries in the bot's view of the guild. */
	public dangerOf(guildId: string, roleId: string): string[] {
		const role = this.#client.guilds.cache.get(guildId)?.roles.cache.get(roleId);
		return role ? dangerousPermissions(role.permissions) : [];
	}

	/**
	 * The one check of a new tier, for the command and the route, before anything is written: its role is a role of
	 * this server and not `@everyone` (field errors), no tier has its threshold or role (409), and a role with
	 * moderator or admin permissions needs `confirm` (400 `mileage_dangerous_tier_role`). `refuseManaged` also refuses
	 * an integration's role up front (the route); the command adds it and lists why it cannot be assigned.
	 */
	public checkNew(guildId: string, input: { threshold: number; roleId: string }, { confirm = false, refuseManaged = false } = {}): void {
		const role = this.#client.guilds.cache.get(guildId)?.roles.cache.get(input.roleId);
		const problem = !role
			? 'is not a role of this server'
			: role.id === guildId
				? 'cannot be @everyone'
				: refuseManaged && role.managed
					? 'is managed by an integration and cannot be assigned'
					: null;
		if (problem) throw new FieldError({ roleId: [problem] }, `That role ${problem}: pick another role for the tier.`);
		this.#checkDuplicate(guildId, input);
		const danger = dangerousPermissions(role!.permissions);
		if (danger.length > 0 && !confirm) {
			throw new MileageError(
				MileageIdentifiers.DangerousTierRole,
				`@${role!.name} grants ${danger.join(', ')}: everyone who reaches the tier would get them. Add the tier with \`confirm: True\` if that is what you want.`,
				{ roleId: input.roleId, permissions: danger },
				{ fields: { confirm: [`the role grants ${danger.join(', ')}; set confirm to true to use it anyway`] }, permissions: danger }
			);
		}
	}

	#checkDuplicate(guildId: string, input: { threshold: number; roleId: string }): void {
		if (this.list(guildId).some((tier) => tier.threshold === input.threshold || tier.roleId === input.roleId)) {
			throw new MileageError(MileageIdentifiers.DuplicateTier, 'A tier with that threshold or role already exists.', input);
		}
	}

	/** Adds a tier; a duplicate threshold or role is refused. Re-syncs the guild's members. */
	public async add(guildId: string, input: { name: string; threshold: number; roleId: string }): Promise<TierView> {
		this.#checkDuplicate(guildId, input);
		if (!Number.isInteger(input.threshold) || input.threshold < 1 || input.threshold > 1_000_000_000) {
			throw new MileageError(MileageIdentifiers.InvalidAmount, 'A tier threshold must be a whole number from 1 to 1,000,000,000.', input);
		}
		const em = this.#orm.em.fork();
		const row = em.create(MileageTier, {
			guildId,
			name: input.name.slice(0, 50),
			threshold: input.threshold,
			roleId: input.roleId,
			problem: null
		});
		await em.flush();
		this.#cache(row);
		return this.list(guildId).find((tier) => tier.id === row.id)!;
	}

	/** Removes a tier by id; unknown → error. */
	public async remove(guildId: string, tierId: number): Promise<TierView> {
		const tier = this.list(guildId).find((t) => t.id === tierId);
		if (!tier) throw new MileageError(MileageIdentifiers.UnknownTier, `There is no tier #${tierId} in this server.`, { tierId });
		await this.#orm.em.fork().nativeDelete(MileageTier, { id: tierId, guildId });
		this.#tiers.set(
			guildId,
			this.list(guildId).filter((t) => t.id !== tierId)
		);
		return tier;
	}

	/** Applies role changes for totals that crossed a threshold. Queued; never blocks the caller. */
	public onTotals(changes: readonly TotalChange[]): void {
		for (const change of changes) {
			const tiers = this.list(change.guildId);
			if (tiers.length === 0 || !crossesThreshold(change.before, change.after, tiers) || !this.active(change.guildId)) continue;
			void this.#enqueue(() => this.#syncMember(change.guildId, change.userId, change.after));
		}
	}

	/**
	 * Re-syncs every member of the guild with points (fetched by id from the ledger, 100 per gateway request: a large
	 * guild is never cached whole) and every cached member holding a tier role, against the tiers. Clears recorded
	 * problems first, so a fixed hierarchy is picked up. Resolves with counts.
	 */
	public sync(guildId: string, totals: Map<string, number>, onProgress?: (done: number, total: number) => void | Promise<void>) {
		return this.#enqueue(async () => {
			await this.#orm.em.fork().nativeUpdate(MileageTier, { guildId }, { problem: null });
			for (const tier of this.list(guildId)) tier.problem = null;
			const guild = this.#client.guilds.cache.get(guildId);
			if (!guild) return { members: 0, changed: 0 };
			const tierRoles = new Set(this.list(guildId).map((tier) => tier.roleId));
			const members = new Set(totals.keys());
			// Holders of a tier role without points: a small guild is fetched whole (one request); in a large one only
			// cached members are known (Discord has no "members with this role" query).
			await fetchAllIfSmall(guild);
			for (const member of guild.members.cache.values())
				if (member.roles.cache.some((role) => tierRoles.has(role.id))) members.add(member.id);
			// Ledger members the bot has not seen yet are fetched up front: one gateway request per 100 instead of one REST
			// call each. Whoever is not found has left the server and is skipped.
			const present = await membersByIds(guild, members);
			let done = 0;
			let changed = 0;
			for (const userId of members) {
				if (present.has(userId) && (await this.#syncMember(guildId, userId, totals.get(userId) ?? 0))) changed++;
				done++;
				if (done % 25 === 0) await onProgress?.(done, members.size);
			}
			await onProgress?.(done, members.size);
			return { members: members.size, changed };
		});
	}

	#enqueue<T>(task: () => Promise<T>): Promise<T> {
		const run = this.#queue.then(task, task);
		this.#queue = run.catch((error) => this.#logger.error({ err: error }, 'tier role update failed'));
		return run;
	}

	/** Gives one member the roles of their tiers; returns true if anything changed. */
	async #syncMember(guildId: string, userId: string, points: number): Promise<boolean> {
		const guild = this.#client.guilds.cache.get(guildId);
		if (!guild) return false;
		const tiers = this.list(guildId);
		const { want, unwanted } = tierRoleChanges(points, tiers, this.removeLowerTiers(guildId));
		let member: GuildMember;
		try {
			member = guild.members.cache.get(userId) ?? (await guild.members.fetch(userId));
		} catch {
			return false;
		}
		const add = want.filter((roleId) => !member.roles.cache.has(roleId));
		const remove = unwanted.filter((roleId) => member.roles.cache.has(roleId));
		let changed = false;
		for (const roleId of [...add, ...remove]) {
			const tier = tiers.find((t) => t.roleId === roleId)!;
			if (tier.problem) continue;
			const problem = this.#assignProblem(guild, roleId);
			if (problem) {
				await this.#recordProblem(tier, problem);
				continue;
			}
			try {
				await this.#roleWrites.take();
				if (add.includes(roleId)) await member.roles.add(roleId, `Mileage tier ${tier.name}`);
				else await member.roles.remove(roleId, `Mileage tier ${tier.name} no longer reached`);
				changed = true;
			} catch (error) {
				if (
					error instanceof DiscordAPIError &&
					(error.code === RESTJSONErrorCodes.MissingPermissions || error.code === RESTJSONErrorCodes.UnknownRole)
				) {
					await this.#recordProblem(
						tier,
						error.code === RESTJSONErrorCodes.UnknownRole ? 'the role no longer exists' : 'Discord refused: missing permissions'
					);
				} else throw error;
			}
		}
		return changed;
	}

	/** Why the bot cannot assign a role, checked from its own view before asking Discord. */
	#assignProblem(guild: Guild, roleId: string): string | null {
		const role = guild.roles.cache.get(roleId);
		if (!role) return 'the role no longer exists';
		const me = guild.members.me;
		if (!me) return 'the bot is not a member of this server';
		if (!me.permissions.has(PermissionFlagsBits.ManageRoles)) return 'the bot lacks the Manage Roles permission';
		if (role.managed) return 'the role is managed by an integration';
		if (me.roles.highest.comparePositionTo(role) <= 0) return `the bot's highest role must be above @${role.name}`;
		return null;
	}

	async #recordProblem(tier: TierView, problem: string): Promise<void> {
		if (tier.problem === problem) return;
		tier.problem = problem;
		this.#logger.warn({ tier: tier.id, roleId: tier.roleId, problem }, 'mileage tier role cannot be assigned');
		await this.#orm.em.fork().nativeUpdate(MileageTier, { id: tier.id }, { problem });
	}
}
