import type { GuildDetail } from '@facet/api';
import type { MessagePayload } from '@facet/dailies-api';
import { Anchor, Avatar, Box, Group, Paper, Text } from '@mantine/core';
import { Fragment, type ReactNode } from 'react';

/*
 * A message body drawn as Discord draws it: the bot's name and avatar, the content with Discord's basic markdown,
 * and embeds with their coloured bar, author, linked title, description, footer and timestamp. Each part carries
 * its raw text in `data-raw`, so what is drawn can be compared with what the bot sends.
 */

/** What the preview shows; the same shape as a feed's and a daily post's payload. */
export type PreviewMessage = Pick<MessagePayload, 'content' | 'embeds'>;

/** `**bold**`, `*italic*`/`_italic_`, `` `code` ``, links, and mentions shown by name (they never ping in a preview). */
function inline(text: string, guild: GuildDetail | null): ReactNode[] {
	const pattern = /(\*\*[^*]+\*\*|\*[^*\s][^*]*\*|_[^_\s][^_]*_|`[^`]+`|https?:\/\/[^\s<>()]+|<@&\d+>|<@!?\d+>|<#\d+>|@everyone|@here)/g;
	const out: ReactNode[] = [];
	let last = 0;
	for (const match of text.matchAll(pattern)) {
		const token = match[0];
		const at = match.index ?? 0;
		if (at > last) out.push(text.slice(last, at));
		const key = `${at}-${token.length}`;
		if (token.startsWith('**')) out.push(<strong key={key}>{token.slice(2, -2)}</strong>);
		else if (token.startsWith('`')) out.push(<code key={key}>{token.slice(1, -1)}</code>);
		else if (token.startsWith('*') || token.startsWith('_')) out.push(<em key={key}>{token.slice(1, -1)}</em>);
		else if (token.startsWith('http'))
			out.push(
				<Anchor key={key} href={token} target="_blank" rel="noreferrer noopener" underline="hover">
					{token}
				</Anchor>
			);
		else {
			const id = /\d+/.exec(token)?.[0] ?? '';
			const name = token.startsWith('<@&')
				? `@${guild?.roles.find((role) => role.id === id)?.name ?? 'role'}`
				: token.startsWith('<#')
					? `#${guild?.channels.find((channel) => channel.id === id)?.name ?? 'channel'}`
					: token.startsWith('<@')
						? '@member'
						: token;
			out.push(
				<span key={key} className="discord-mention">
					{name}
				</span>
			);
		}
		last = at + token.length;
	}
	if (last < text.length) out.push(text.slice(last));
	return out;
}

/** Text with line breaks and inline markdown. */
function Markdown({ text, guild }: { text: string; guild: GuildDetail | null }) {
	return (
		<>
			{text.split('\n').map((line, i, lines) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: lines have no identity beyond their place
				<Fragment key={i}>
					{inline(line, guild)}
					{i < lines.length - 1 ? <br /> : null}
				</Fragment>
			))}
		</>
	);
}

/** A message as it will look in the channel, posted by `botName`. */
export function DiscordMessage({
	message,
	guild,
	botName = 'Facet',
	label
}: {
	message: PreviewMessage;
	guild: GuildDetail | null;
	botName?: string;
	/** The accessible name of the preview (e.g. "Preview of the newest item"). */
	label: string;
}) {
	const time = new Date().toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
	return (
		<Paper className="discord-message" p="sm" radius="md" role="figure" aria-label={label} data-preview>
			<Group align="flex-start" gap="sm" wrap="nowrap">
				<Avatar color="blurple" radius="xl" size={40} alt="" aria-hidden="true">
					{botName.slice(0, 1)}
				</Avatar>
				<Box style={{ minWidth: 0, flex: 1 }}>
					<Group gap={6} wrap="nowrap">
						<Text fw={600} size="sm">
							{botName}
						</Text>
						<span className="discord-bot-tag">APP</span>
						<Text size="xs" c="dimmed">
							Today at {time}
						</Text>
					</Group>
					{message.content ? (
						<div className="discord-content" data-part="content" data-raw={message.content}>
							<Markdown text={message.content} guild={guild} />
						</div>
					) : null}
					{(message.embeds ?? []).map((embed, i) => (
						// biome-ignore lint/suspicious/noArrayIndexKey: a message's embeds are in a fixed order
						<div key={i} className="discord-embed" data-part="embed">
							{embed.author ? (
								<Text size="xs" fw={600} data-part="embed-author" data-raw={embed.author.name}>
									{embed.author.name}
								</Text>
							) : null}
							{embed.title ? (
								<Text fw={600} size="sm" data-part="embed-title" data-raw={embed.title} data-url={embed.url ?? ''}>
									{embed.url ? (
										<Anchor href={embed.url} target="_blank" rel="noreferrer noopener" underline="hover">
											{embed.title}
										</Anchor>
									) : (
										embed.title
									)}
								</Text>
							) : null}
							{embed.description ? (
								<div className="discord-content" data-part="embed-description" data-raw={embed.description}>
									<Markdown text={embed.description} guild={guild} />
								</div>
							) : null}
							{embed.footer || embed.timestamp ? (
								<Text size="xs" c="dimmed" mt={6} data-part="embed-footer" data-raw={embed.footer?.text ?? ''}>
									{[embed.footer?.text, embed.timestamp ? new Date(embed.timestamp).toLocaleString() : null].filter(Boolean).join(' • ')}
								</Text>
							) : null}
						</div>
					))}
				</Box>
			</Group>
		</Paper>
	);
}
