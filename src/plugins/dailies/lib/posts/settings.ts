import { z } from 'zod';

/** The daily-post half of the dailies plugin's environment variables: limits and timing the host sets. */
export const DailiesPostsEnv = z.object({
	/** Daily posts one guild may have. */
	DAILIES_MAX_POSTS: z.coerce.number().int().min(0).max(10_000).default(20),
	/** How often the posts task looks for due runs (ms); a post goes out within this after its time. */
	DAILIES_POSTS_TICK_MS: z.coerce.number().int().min(1_000).max(600_000).default(20_000)
});

/** The daily-post environment, parsed. */
export type DailiesPostsEnv = z.infer<typeof DailiesPostsEnv>;
