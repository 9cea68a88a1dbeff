import type {
	FeedAddAnswer,
	FeedAnswer,
	FeedDryRunAnswer,
	FeedLogAnswer,
	FeedRequest,
	FeedsAnswer,
	OpmlImportAnswer,
	OpmlImportRequest,
	PostAnswer,
	PostDetailAnswer,
	PostDraftPreviewAnswer,
	PostPreviewAnswer,
	PostRequest,
	PostsAnswer
} from '@facet/dailies-api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { API_BASE, request } from './api.ts';

/*
 * The dailies routes (`src/plugins/dailies/README.md`), typed by the plugin's contract module (type-only imports).
 * Kept beside `api.ts` rather than in it: only the dailies pages load this.
 */

const d = (guildId: string) => `/dailies/guilds/${encodeURIComponent(guildId)}`;

/** Query keys of the dailies pages, under the guild's (so a revert or a plugin switch refreshes them too). */
export const dailiesKeys = {
	all: (id: string) => ['guild', id, 'dailies'] as const,
	feeds: (id: string) => ['guild', id, 'dailies', 'feeds'] as const,
	log: (id: string, feedId: string) => ['guild', id, 'dailies', 'feeds', feedId, 'log'] as const,
	posts: (id: string) => ['guild', id, 'dailies', 'posts'] as const,
	post: (id: string, postId: string) => ['guild', id, 'dailies', 'posts', postId] as const,
	preview: (id: string, postId: string) => ['guild', id, 'dailies', 'posts', postId, 'preview'] as const
};

/** How often the feed list and an open delivery log refresh (polls keep happening while the page is open). */
export const FEEDS_LIVE_MS = 5_000;

/** `GET …/feeds`: every feed with its health, and the host's limit. */
export const useFeeds = (id: string) =>
	useQuery({ queryKey: dailiesKeys.feeds(id), queryFn: () => request<FeedsAnswer>(`${d(id)}/feeds`), refetchInterval: FEEDS_LIVE_MS });

/** `GET …/feeds/:feed/log`: the feed's last polls, newest first (only while `feedId` is set). */
export const useFeedLog = (id: string, feedId: string | null) =>
	useQuery({
		queryKey: dailiesKeys.log(id, feedId ?? ''),
		queryFn: () => request<FeedLogAnswer>(`${d(id)}/feeds/${feedId}/log`),
		enabled: feedId !== null,
		refetchInterval: FEEDS_LIVE_MS
	});

/** The feed writes; each refreshes the feed list. */
export function useFeedWrites(id: string) {
	const client = useQueryClient();
	const refresh = () => client.invalidateQueries({ queryKey: dailiesKeys.feeds(id) });
	return {
		/** The add preview: fetches the URL once and renders its newest item; saves nothing. */
		preview: useMutation({
			mutationFn: (body: FeedRequest) => request<FeedDryRunAnswer>(`${d(id)}/feeds`, { method: 'POST', json: { ...body, dryRun: true } })
		}),
		add: useMutation({
			mutationFn: (body: FeedRequest) => request<FeedAddAnswer>(`${d(id)}/feeds`, { method: 'POST', json: { ...body, dryRun: false } }),
			onSuccess: refresh
		}),
		pause: useMutation({
			mutationFn: (feedId: string) => request<FeedAnswer>(`${d(id)}/feeds/${feedId}/pause`, { method: 'POST' }),
			onSuccess: refresh
		}),
		resume: useMutation({
			mutationFn: (feedId: string) => request<FeedAnswer>(`${d(id)}/feeds/${feedId}/resume`, { method: 'POST' }),
			onSuccess: refresh
		}),
		remove: useMutation({
			mutationFn: (feedId: string) => request<void>(`${d(id)}/feeds/${feedId}`, { method: 'DELETE' }),
			onSuccess: refresh
		}),
		importOpml: useMutation({
			mutationFn: (body: OpmlImportRequest) => request<OpmlImportAnswer>(`${d(id)}/feeds.opml`, { method: 'POST', json: body }),
			onSuccess: refresh
		})
	};
}

/** The OPML export's download link (a plain link: the browser saves it with the session cookie). */
export const opmlExportUrl = (id: string) => `${API_BASE}${d(id)}/feeds.opml`;

/** `GET …/posts`: the daily posts with their next run, and the host's limit. */
export const usePosts = (id: string) =>
	useQuery({ queryKey: dailiesKeys.posts(id), queryFn: () => request<PostsAnswer>(`${d(id)}/posts`) });

/** `GET …/posts/:post`: one post and its last runs. */
export const usePost = (id: string, postId: string | null) =>
	useQuery({
		queryKey: dailiesKeys.post(id, postId ?? ''),
		queryFn: () => request<PostDetailAnswer>(`${d(id)}/posts/${postId}`),
		enabled: postId !== null
	});

/** `GET …/posts/:post/preview`: exactly what the next run sends. */
export const usePostPreview = (id: string, postId: string | null) =>
	useQuery({
		queryKey: dailiesKeys.preview(id, postId ?? ''),
		queryFn: () => request<PostPreviewAnswer>(`${d(id)}/posts/${postId}/preview`),
		enabled: postId !== null
	});

/** What a post not saved yet would send, and its first run (asked again as the form changes; saves nothing). */
export const useDraftPreview = (id: string, body: PostRequest | null) =>
	useQuery({
		queryKey: [...dailiesKeys.all(id), 'draft', body],
		queryFn: () => request<PostDraftPreviewAnswer>(`${d(id)}/posts/preview`, { method: 'POST', json: body }),
		enabled: body !== null,
		placeholderData: (previous) => previous,
		staleTime: 30_000
	});

/** The post writes; each refreshes the posts (list, details and previews). */
export function usePostWrites(id: string) {
	const client = useQueryClient();
	const refresh = () => client.invalidateQueries({ queryKey: dailiesKeys.posts(id) });
	return {
		create: useMutation({
			mutationFn: (body: PostRequest) => request<PostAnswer>(`${d(id)}/posts`, { method: 'POST', json: body }),
			onSuccess: refresh
		}),
		update: useMutation({
			mutationFn: ({ postId, body }: { postId: string; body: PostRequest }) =>
				request<PostAnswer>(`${d(id)}/posts/${postId}`, { method: 'PUT', json: body }),
			onSuccess: refresh
		}),
		setEnabled: useMutation({
			mutationFn: ({ postId, enabled }: { postId: string; enabled: boolean }) =>
				request<PostAnswer>(`${d(id)}/posts/${postId}`, { method: 'PATCH', json: { enabled } }),
			onSuccess: refresh
		}),
		remove: useMutation({
			mutationFn: (postId: string) => request<PostAnswer>(`${d(id)}/posts/${postId}`, { method: 'DELETE' }),
			onSuccess: (_answer, postId) => {
				// Off the list at once, and its details and preview forgotten: refetching them would only answer 404.
				client.setQueryData<PostsAnswer>(dailiesKeys.posts(id), (old) =>
					old ? { ...old, posts: old.posts.filter((p) => p.id !== postId) } : old
				);
				client.removeQueries({ queryKey: dailiesKeys.post(id, postId) });
				return client.invalidateQueries({ queryKey: dailiesKeys.posts(id), exact: true });
			}
		}),
		skipNext: useMutation({
			mutationFn: (postId: string) => request<unknown>(`${d(id)}/posts/${postId}/skip-next`, { method: 'POST' }),
			onSuccess: refresh
		})
	};
}
