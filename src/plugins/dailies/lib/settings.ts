import { z } from 'zod';

const Snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord id (17 to 20 digits)');

/**
 * The dailies plugin's per-guild settings; `{}` parses to the defaults. The posts half adds its own fields here.
 */
export const DailiesSettings = z.object({
	/** Where feed health notices go (a feed paused by failures); null → the feed's own channel. */
	alertsChannel: Snowflake.nullable().default(null)
});

/** The dailies plugin's per-guild settings. */
export type DailiesSettings = z.infer<typeof DailiesSettings>;

// A flag as the environment spells it; already parsed values (booleans) pass through, since plugins re-read the
// parsed environment with their own schema.
const flag = z
	.union([
		z.boolean(),
		z.enum(['true', 'false', '1', '0', '']).transform((value) => (value === '' ? undefined : value === 'true' || value === '1'))
	])
	.optional();

/** The dailies plugin's environment variables: limits the host sets for every guild. */
export const DailiesEnv = z.object({
	/** Feeds one guild may follow. */
	DAILIES_MAX_FEEDS: z.coerce.number().int().min(0).max(10_000).default(50),
	/**
	 * Allow feed URLs on loopback, private, link-local and CGNAT addresses (cloud metadata addresses stay refused).
	 * Unset → on in the sandbox (its fixture servers are local), off with a Discord token.
	 */
	DAILIES_ALLOW_PRIVATE_FEEDS: flag,
	/** Feeds fetched at once by one process. */
	DAILIES_POLL_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
	/** Feeds fetched at once from one host by one process. */
	DAILIES_POLL_PER_HOST: z.coerce.number().int().min(1).max(64).default(2),
	/** How often the poll task looks for due feeds (ms). Each feed has its own interval (default 5 min). */
	DAILIES_POLL_TICK_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
	/** Where a YouTube @handle or channel page is looked up (tests point it at a fixture server). */
	DAILIES_YOUTUBE_URL: z.string().url().default('https://www.youtube.com')
});

/** The dailies plugin's parsed environment. */
export type DailiesEnv = z.infer<typeof DailiesEnv>;
