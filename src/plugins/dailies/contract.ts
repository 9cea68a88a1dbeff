/*
 * The dailies routes' answers and bodies, declared once: the routes' views are typed by them (`satisfies`), and
 * `routes/_contract.ts` checks the body schemas accept exactly these bodies; the dashboard imports them by type only
 * (`@facet/dailies-api`). Nothing here imports code that needs the bot's container.
 */
import type { DeliveryItem, DeliveryOutcome } from './entities/DailiesDeliveryLog.ts';
import type { CatchUpPolicy, FeedFormat, FeedKind, FeedState } from './entities/DailiesFeed.ts';
import type { Weekday } from './lib/posts/schedule.ts';
import type { MessagePayload } from './lib/render.ts';

export type { CatchUpPolicy, DeliveryItem, DeliveryOutcome, FeedFormat, FeedKind, FeedState, MessagePayload, Weekday };

/** A feed with its health. */
export interface FeedView {
	id: string;
	url: string;
	/** What the admin typed when it differs from `url` (a YouTube handle). */
	source: string | null;
	kind: FeedKind;
	title: string | null;
	channelId: string;
	intervalMinutes: number;
	template: string | null;
	format: FeedFormat;
	include: string[];
	exclude: string[];
	catchUp: CatchUpPolicy;
	maxPerPoll: number;
	state: FeedState;
	pausedReason: string | null;
	health: {
		lastPolledAt: string | null;
		lastSuccessAt: string | null;
		nextPollAt: string | null;
		consecutiveFailures: number;
		lastError: string | null;
		notice: { channelId: string | null; messageId: string } | null;
	};
	createdAt: string;
}

/** `GET /dailies/guilds/:guild/feeds`. */
export interface FeedsAnswer {
	feeds: FeedView[];
	limit: { feeds: number };
}

/** `POST /dailies/guilds/:guild/feeds` (with `dryRun: true`, the add preview). */
export interface FeedRequest {
	url: string;
	channelId: string;
	template?: string | null;
	format?: FeedFormat;
	include?: string[];
	exclude?: string[];
	catchUp?: CatchUpPolicy;
	maxPerPoll?: number;
	intervalMinutes?: number;
	dryRun?: boolean;
}

/** An item of a feed as JSON. */
export interface FeedItemView {
	key: string;
	title: string | null;
	link: string | null;
	author: string | null;
	published: string | null;
	summary: string | null;
}

/** `POST …/feeds` with `dryRun: true`: what the URL is and its newest item as it would be posted; nothing saved. */
export interface FeedDryRunAnswer {
	url: string;
	kind: FeedKind;
	title: string | null;
	items: number;
	newest: FeedItemView | null;
	preview: MessagePayload | null;
}

/** `POST …/feeds` (201). */
export interface FeedAddAnswer {
	feed: FeedView;
	postedMessageId: string | null;
	preview: MessagePayload | null;
}

/** One poll of a feed's delivery log. */
export interface PollView {
	id: string;
	polledAt: string;
	httpStatus: number | null;
	error: string | null;
	found: number;
	posted: number;
	/** Skipped items by reason (`seen`, `filtered`, `capped`, `too_old`). */
	skipped: Record<string, number>;
	items: DeliveryItem[];
}

/** `GET …/feeds/:feed/log`, newest first. */
export interface FeedLogAnswer {
	polls: PollView[];
}

/** `GET …/feeds/:feed`, `POST …/pause`, `POST …/resume`. */
export interface FeedAnswer {
	feed: FeedView;
}

/** `POST …/feeds.opml`. */
export interface OpmlImportRequest {
	opml: string;
	channels?: Record<string, string>;
	defaultChannelId?: string | null;
}

/** `POST …/feeds.opml` (201). */
export interface OpmlImportAnswer {
	imported: FeedView[];
	skipped: { url: string; reason: string }[];
}

/** When a post goes out next: the instant, its local date and wall time in the post's zone. */
export interface NextRunView {
	at: string;
	localDate: string;
	local: string;
	timeZone: string;
}

/** A daily post (`timeZone`/`channelId` null: it follows the server's). */
export interface PostView {
	id: string;
	time: string;
	weekdays: Weekday[];
	timeZone: string | null;
	effectiveTimeZone: string;
	channelId: string | null;
	effectiveChannelId: string | null;
	message: string | null;
	prompts: string[] | null;
	rotation: { position: number; cycleLength: number } | null;
	missedPolicy: 'late' | 'skip';
	graceMinutes: number;
	enabled: boolean;
	createdBy: string | null;
	createdAt: string;
	nextRun: NextRunView | null;
}

/** One run of a post. */
export interface RunView {
	localDate: string;
	scheduledAt: string;
	status: 'sending' | 'posted' | 'late' | 'skipped';
	channelId: string | null;
	messageId: string | null;
	reason: string | null;
	attempts: number;
	finishedAt: string | null;
}

/** `GET /dailies/guilds/:guild/posts`. */
export interface PostsAnswer {
	posts: PostView[];
	limit: number;
}

/** `POST …/posts`, `PUT …/posts/:post`, `POST …/posts/preview`: give exactly one of `message` and `prompts`. */
export interface PostRequest {
	time: string;
	message?: string;
	prompts?: string[];
	/** Weekday names, or the command's text form (`mon-fri`, `weekends`). */
	weekdays?: Weekday[] | string;
	channelId?: string | null;
	timeZone?: string | null;
	missedPolicy?: 'late' | 'skip';
	graceMinutes?: number;
	enabled?: boolean;
}

/** `POST …/posts` (201), `PUT`/`PATCH`/`DELETE …/posts/:post`. */
export interface PostAnswer {
	post: PostView;
}

/** `GET …/posts/:post`. */
export interface PostDetailAnswer {
	post: PostView;
	runs: RunView[];
}

/** The message body a post sends, less the nonce. */
export interface PostMessage {
	content?: string;
	allowed_mentions?: { parse?: string[] };
}

/** `GET …/posts/:post/preview`: exactly what the next run sends, where and when. */
export interface PostPreviewAnswer {
	postId: string;
	message: PostMessage;
	channelId: string | null;
	nextRun: NextRunView | null;
}

/** `POST …/posts/preview`: what a post not saved yet would send, where and when; nothing saved. */
export interface PostDraftPreviewAnswer {
	message: PostMessage;
	channelId: string | null;
	nextRun: NextRunView | null;
}
