import { AllowedMentionsTypes, type RESTPostAPIChannelMessageJSONBody } from 'discord-api-types/v10';

/** Discord's limit on a message's content. */
export const MESSAGE_MAX = 2000;

/** What rendering needs of a post: its single message, or its prompts. */
export interface RenderablePost {
	message: string | null;
	prompts: string[] | null;
}

/** The message body of a daily post, without the nonce the sender adds. */
export type PostPayload = Pick<RESTPostAPIChannelMessageJSONBody, 'content' | 'allowed_mentions'>;

/**
 * The one renderer of a daily post: the sender posts exactly this, and the preview (command and route) shows exactly
 * this. Mentions of users and roles the admin wrote ping; `@everyone`/`@here` never do.
 */
export function renderPost(post: RenderablePost, promptIndex: number | null): PostPayload {
	const text = post.prompts && post.prompts.length > 0 ? (post.prompts[promptIndex ?? 0] ?? post.prompts[0]!) : (post.message ?? '');
	return { content: text.slice(0, MESSAGE_MAX), allowed_mentions: { parse: [AllowedMentionsTypes.User, AllowedMentionsTypes.Role] } };
}
