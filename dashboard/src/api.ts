import type {
	ApiErrorBody,
	AuditAnswer,
	GuildDetail,
	GuildsAnswer,
	PluginsAnswer,
	PluginView,
	RevertAnswer,
	SettingsAnswer,
	TimeZonesAnswer,
	UserView
} from '@facet/api';
import type {
	ImportAnswer,
	JobAnswer,
	LeaderboardAnswer,
	LedgerWriteAnswer,
	MemberAnswer,
	PointsAnswer,
	PublicLeaderboardAnswer,
	TierRequest,
	TiersAnswer
} from '@facet/mileage-api';
import { QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

/*
 * The one way the dashboard talks to the bot: typed by the server's own contract modules (type-only imports),
 * with the session cookie, and one place that notices an expired session.
 */

/** Where the API lives: the page's own origin unless the build was told otherwise (`VITE_API_URL`). */
export const API_BASE = (import.meta.env.VITE_API_URL ?? '').replace(/\/+$/, '');

/** An API answer that was not 2xx, with its parsed error body. */
export class ApiError extends Error {
	readonly status: number;
	readonly body: ApiErrorBody;

	constructor(status: number, body: ApiErrorBody) {
		super(body.message ?? body.error);
		this.status = status;
		this.body = body;
	}

	/** Field errors of a 400, keyed by field path. */
	get fields(): Record<string, string[]> {
		return this.body.fields ?? {};
	}
}

/** A human sentence for any error the dashboard shows. */
export function describeError(error: unknown): string {
	if (error instanceof ApiError) {
		if (error.status === 429) return `Too many requests: try again in ${error.body.retryAfter ?? 'a few'} seconds.`;
		if (error.body.message) return error.body.message;
		if (error.body.fields)
			return Object.entries(error.body.fields)
				.map(([field, messages]) => `${field}: ${messages.join(', ')}`)
				.join('; ');
		return `The server answered ${error.status} (${error.body.error}).`;
	}
	return error instanceof Error ? error.message : String(error);
}

/** Where the session is only asked about: its 401 means "not logged in", not "expired". */
const SESSION_PROBE = '/users/@me';
const expiredListeners = new Set<() => void>();

/** Called when a request that needs a session is answered 401 (expired, logged out elsewhere, or revoked). */
export function onSessionExpired(listener: () => void): () => void {
	expiredListeners.add(listener);
	return () => expiredListeners.delete(listener);
}

const forbiddenListeners = new Set<(guildId: string) => void>();

/** Called with the guild when one of its manage routes answers 403 `forbidden` (the user lost the right). */
export function onGuildForbidden(listener: (guildId: string) => void): () => void {
	forbiddenListeners.add(listener);
	return () => forbiddenListeners.delete(listener);
}

/** The guild a manage route is about (`/guilds/:id/…`, `/<plugin>/guilds/:id/…`), or null. */
const GUILD_PATH = /^\/(?:[a-z]+\/)?guilds\/(\d{17,20})(?:[/?]|$)/;

/** Sends a request to the API and parses its JSON answer; throws {@link ApiError} for anything but 2xx. */
export async function request<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
	const { json, headers, ...rest } = init;
	const response = await fetch(`${API_BASE}${path}`, {
		credentials: 'include',
		...rest,
		headers: { accept: 'application/json', ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
		body: json === undefined ? rest.body : JSON.stringify(json)
	});
	if (response.status === 204) return undefined as T;
	const text = await response.text();
	let body: unknown = null;
	try {
		body = text ? JSON.parse(text) : null;
	} catch {
		body = { error: 'invalid_response', message: `The server answered ${response.status} with something that is not JSON.` };
	}
	if (!response.ok) {
		const error = new ApiError(response.status, (body as ApiErrorBody) ?? { error: 'unknown' });
		if (response.status === 401 && path !== SESSION_PROBE) {
			for (const listener of expiredListeners) listener();
		}
		// Not for the guild's own detail: that answer is what the listeners react to (by asking for it again).
		const guildId = response.status === 403 && error.body.error === 'forbidden' ? GUILD_PATH.exec(path)?.[1] : undefined;
		if (guildId && path !== g(guildId)) for (const listener of forbiddenListeners) listener(guildId);
		throw error;
	}
	return body as T;
}

/** The dashboard's query client: no retries of 4xx answers (they will not change by asking again). */
export const queryClient = new QueryClient({
	defaultOptions: {
		queries: {
			staleTime: 15_000,
			refetchOnWindowFocus: true,
			retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2
		}
	}
});

const g = (guildId: string) => `/guilds/${encodeURIComponent(guildId)}`;
const m = (guildId: string) => `/mileage/guilds/${encodeURIComponent(guildId)}`;

/** Query keys, in one place so writes invalidate exactly what they change. */
export const keys = {
	me: ['me'] as const,
	guilds: ['guilds'] as const,
	guild: (id: string) => ['guild', id] as const,
	plugins: (id: string) => ['guild', id, 'plugins'] as const,
	settings: (id: string, plugin: string) => ['guild', id, 'settings', plugin] as const,
	audit: (id: string, plugin: string | null) => ['guild', id, 'audit', plugin ?? '*'] as const,
	mileage: (id: string) => ['guild', id, 'mileage'] as const,
	timeZones: ['time-zones'] as const
};

/** The signed-in user, or null when there is no session. */
export function useMe() {
	return useQuery({
		queryKey: keys.me,
		queryFn: async () => {
			try {
				return await request<UserView>(SESSION_PROBE);
			} catch (error) {
				if (error instanceof ApiError && error.status === 401) return null;
				throw error;
			}
		},
		staleTime: 60_000
	});
}

/** Ends the session on the server, then forgets everything cached. */
export async function logout(): Promise<void> {
	await request<void>('/oauth/logout', { method: 'POST' }).catch(() => undefined);
	queryClient.clear();
}

/** Where the login starts; `next` is where the browser lands after it. */
export function loginUrl(next = '/servers'): string {
	return `${API_BASE}/oauth/login?next=${encodeURIComponent(next)}`;
}

/** `GET /guilds`: the servers the user may manage, and those they could invite the bot to. */
export const useGuilds = () => useQuery({ queryKey: keys.guilds, queryFn: () => request<GuildsAnswer>('/guilds') });
/**
 * `GET /guilds/:guild`: name, icon, access, channels and roles (for pickers). Asked again every
 * `accessRecheckSeconds` (≤ 60, from the server) even in a background tab, so a user who lost the right to manage the
 * server is shut out within that.
 */
export const useGuild = (id: string) =>
	useQuery({
		queryKey: keys.guild(id),
		queryFn: () => request<GuildDetail>(g(id)),
		refetchInterval: (query) => (query.state.data?.accessRecheckSeconds ?? 30) * 1_000,
		refetchIntervalInBackground: true
	});
/** `GET /guilds/:guild/plugins`: every plugin with its switch. */
export const usePlugins = (id: string) =>
	useQuery({ queryKey: keys.plugins(id), queryFn: () => request<PluginsAnswer>(`${g(id)}/plugins`) });
/** `GET /time-zones`: the zones the server accepts (never changes while the page is open). */
export const useTimeZones = () =>
	useQuery({ queryKey: keys.timeZones, queryFn: () => request<TimeZonesAnswer>('/time-zones'), staleTime: Number.POSITIVE_INFINITY });

/** `GET /guilds/:guild/plugins/:plugin/settings`: values and their schema. */
export const useSettings = (id: string, plugin: string) =>
	useQuery({ queryKey: keys.settings(id, plugin), queryFn: () => request<SettingsAnswer>(`${g(id)}/plugins/${plugin}/settings`) });

/** Saves changed settings (only those given); the answer replaces the cached settings. */
export function useSaveSettings(id: string, plugin: string) {
	const client = useQueryClient();
	return useMutation({
		mutationFn: (patch: Record<string, unknown>) =>
			request<SettingsAnswer>(`${g(id)}/plugins/${plugin}/settings`, { method: 'PATCH', json: patch }),
		onSuccess: (answer) => {
			client.setQueryData(keys.settings(id, plugin), answer);
			void client.invalidateQueries({ queryKey: ['guild', id, 'audit'] });
		}
	});
}

/** A plugin switch, applied at once on screen and rolled back when the server refuses it. */
export function useSwitchPlugin(id: string) {
	const client = useQueryClient();
	return useMutation({
		mutationFn: ({ plugin, enabled }: { plugin: string; enabled: boolean }) =>
			request<PluginView>(`${g(id)}/plugins/${plugin}`, { method: 'PUT', json: { enabled } }),
		onMutate: async ({ plugin, enabled }) => {
			await client.cancelQueries({ queryKey: keys.plugins(id) });
			const before = client.getQueryData<PluginsAnswer>(keys.plugins(id));
			client.setQueryData<PluginsAnswer>(keys.plugins(id), (old) =>
				old ? { plugins: old.plugins.map((p) => (p.name === plugin ? { ...p, enabled } : p)) } : old
			);
			return { before };
		},
		onError: (_error, _vars, context) => {
			if (context?.before) client.setQueryData(keys.plugins(id), context.before);
		},
		onSettled: () => {
			void client.invalidateQueries({ queryKey: keys.plugins(id) });
			void client.invalidateQueries({ queryKey: ['guild', id, 'audit'] });
			void client.invalidateQueries({ queryKey: keys.mileage(id) });
		}
	});
}

/** One page of the audit log (25 entries, optionally one plugin's, older than `before`). */
export const useAudit = (id: string, plugin: string | null, before: string | null) =>
	useQuery({
		queryKey: [...keys.audit(id, plugin), before ?? 'latest'],
		queryFn: () => {
			const query = new URLSearchParams({ limit: '25' });
			if (plugin) query.set('plugin', plugin);
			if (before) query.set('before', before);
			return request<AuditAnswer>(`${g(id)}/audit?${query}`);
		}
	});

/** Reverts an audit entry; everything it may have changed is read again. */
export function useRevert(id: string) {
	const client = useQueryClient();
	return useMutation({
		mutationFn: (entryId: string) => request<RevertAnswer>(`${g(id)}/audit/${entryId}/revert`, { method: 'POST' }),
		onSuccess: () => client.invalidateQueries({ queryKey: ['guild', id] })
	});
}

/** Where a leaderboard page starts: a page number, after a `next` cursor, the page holding a rank, or a member's page. */
export type LeaderboardTarget = { page: number } | { after: string } | { rank: number } | { user: string };

/** Rows per leaderboard page in the dashboard. */
export const LEADERBOARD_PAGE_SIZE = 25;

/** One page of the mileage leaderboard, read by keyset (the previous page stays on screen while the next loads). */
export const useLeaderboard = (id: string, target: LeaderboardTarget, options: { refetchInterval?: number } = {}) =>
	useQuery({
		queryKey: [...keys.mileage(id), 'leaderboard', target],
		queryFn: () => {
			const query = new URLSearchParams({ pageSize: String(LEADERBOARD_PAGE_SIZE) });
			for (const [name, value] of Object.entries(target)) query.set(name, String(value));
			return request<LeaderboardAnswer>(`${m(id)}/leaderboard?${query}`);
		},
		placeholderData: (previous) => previous,
		...options
	});

/** A page of a guild's public leaderboard (no login; 404 where the guild has not turned it on). */
export const usePublicLeaderboard = (id: string, page: number) =>
	useQuery({
		queryKey: ['public-leaderboard', id, page],
		queryFn: () => request<PublicLeaderboardAnswer>(`/mileage/public/${encodeURIComponent(id)}/leaderboard?page=${page}`),
		placeholderData: (previous) => previous
	});

/** Points per day over the last `days` days, for the chart. */
export const usePoints = (id: string, days: number, options: { refetchInterval?: number } = {}) =>
	useQuery({
		queryKey: [...keys.mileage(id), 'points', days],
		queryFn: () => request<PointsAnswer>(`${m(id)}/points?days=${days}`),
		...options
	});

/** The mileage tiers, lowest first. */
export const useTiers = (id: string) =>
	useQuery({ queryKey: [...keys.mileage(id), 'tiers'], queryFn: () => request<TiersAnswer>(`${m(id)}/tiers`) });

/** Mileage writes; each refreshes the leaderboard, chart and tiers. */
export function useMileageWrites(id: string) {
	const client = useQueryClient();
	const refresh = () => client.invalidateQueries({ queryKey: keys.mileage(id) });
	return {
		adjust: useMutation({
			mutationFn: ({ userId, points, reason }: { userId: string; points: number; reason: string }) =>
				request<LedgerWriteAnswer>(`${m(id)}/members/${userId}/adjust`, { method: 'POST', json: { points, reason } }),
			onSuccess: refresh
		}),
		reverse: useMutation({
			mutationFn: ({ eventId, reason }: { eventId: string; reason: string }) =>
				request<LedgerWriteAnswer>(`${m(id)}/events/${eventId}/reverse`, { method: 'POST', json: { reason } }),
			onSuccess: refresh
		}),
		addTier: useMutation({
			mutationFn: (tier: TierRequest) => request<unknown>(`${m(id)}/tiers`, { method: 'POST', json: tier }),
			onSuccess: refresh
		}),
		removeTier: useMutation({
			mutationFn: (tierId: string) => request<unknown>(`${m(id)}/tiers/${tierId}`, { method: 'DELETE' }),
			onSuccess: refresh
		}),
		importCsv: useMutation({
			mutationFn: ({ csv, dryRun }: { csv: string; dryRun: boolean }) =>
				request<ImportAnswer>(`${m(id)}/import${dryRun ? '?dryRun=1' : ''}`, {
					method: 'POST',
					body: csv,
					headers: { 'content-type': 'text/csv' }
				})
		})
	};
}

/** A member's ledger (for reversing one of their entries). */
export const useMemberHistory = (id: string, userId: string | null) =>
	useQuery({
		queryKey: [...keys.mileage(id), 'member', userId],
		queryFn: () => request<MemberAnswer>(`${m(id)}/members/${userId}?limit=20`),
		enabled: userId !== null
	});

/** Polls an import or tier-sync job until it ends. */
export const useJob = (id: string, jobId: string | null) =>
	useQuery({
		queryKey: [...keys.mileage(id), 'job', jobId],
		queryFn: () => request<JobAnswer>(`${m(id)}/jobs/${jobId}`),
		enabled: jobId !== null,
		refetchInterval: (query) => (query.state.data?.job.state === 'running' || !query.state.data ? 500 : false)
	});

/** The export's download link (a plain link: the browser streams the file with the session cookie). */
export const exportUrl = (id: string, kind: 'totals' | 'ledger') => `${API_BASE}${m(id)}/export.csv?kind=${kind}`;

/** A Discord CDN image, or null for the default (the dashboard then draws initials, which works offline too). */
export function avatarUrl(userId: string, hash: string | null, size = 64): string | null {
	return hash ? `https://cdn.discordapp.com/avatars/${userId}/${hash}.${hash.startsWith('a_') ? 'gif' : 'png'}?size=${size}` : null;
}

/** A server's icon on Discord's CDN, or null (the dashboard then draws its initials). */
export function guildIconUrl(guildId: string, hash: string | null, size = 96): string | null {
	return hash ? `https://cdn.discordapp.com/icons/${guildId}/${hash}.png?size=${size}` : null;
}
