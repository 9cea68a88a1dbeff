import type { FeedDryRunAnswer, FeedFormat, FeedRequest, FeedView, OpmlImportAnswer, PollView } from '@facet/dailies-api';
import {
	Alert,
	Anchor,
	Badge,
	Button,
	Drawer,
	FileButton,
	Group,
	Modal,
	Paper,
	SegmentedControl,
	Select,
	Stack,
	Table,
	TagsInput,
	Text,
	Textarea,
	TextInput,
	Title,
	VisuallyHidden
} from '@mantine/core';
import { useState } from 'react';
import { ApiError, describeError } from '../api.ts';
import { channelName, channelOptions } from '../components/channels.ts';
import { DailiesHeader, DailiesLoadError } from '../components/dailies-nav.tsx';
import { DiscordMessage } from '../components/discord-message.tsx';
import { useGuildContext } from '../components/layout.tsx';
import { ConfirmDialog, type ConfirmRequest, EmptyState, ListSkeleton, LoadError, notify, useLeaveGuard } from '../components/ui.tsx';
import { opmlExportUrl, useFeedLog, useFeeds, useFeedWrites } from '../dailies-api.ts';

/*
 * `/servers/:id/dailies`: the feeds — health and last error, the delivery log ("why wasn't this posted?"), adding
 * one with a preview of its newest item drawn like the Discord message it becomes, and OPML in and out.
 */

const PLACEHOLDERS = '{title} {link} {author} {published} {summary} {feed}';

/** A feed's health as one badge: what an admin needs to know at a glance. */
export function healthOf(feed: FeedView): { label: string; color: string } {
	switch (feed.state) {
		case 'paused_admin':
			return { label: 'paused', color: 'gray' };
		case 'paused_failures':
			return { label: 'paused after failures', color: 'red' };
		case 'paused_channel':
			return { label: 'paused: channel unusable', color: 'red' };
		case 'removed':
			return { label: 'removed', color: 'gray' };
		default:
			if (feed.health.consecutiveFailures > 0) return { label: `failing (${feed.health.consecutiveFailures} in a row)`, color: 'orange' };
			return { label: 'healthy', color: 'green' };
	}
}

const when = (iso: string | null, never = 'never') => (iso ? new Date(iso).toLocaleString() : never);

/** Field errors of a refused add, by the form's field (the first path segment). */
function fieldErrorsOf(error: unknown): Record<string, string> {
	if (!(error instanceof ApiError)) return {};
	const out: Record<string, string> = {};
	for (const [path, messages] of Object.entries(error.fields)) out[path.split('.')[0]!] = messages.join(', ');
	// A duplicate is about the URL, though it is a 409 without field errors.
	const context = (error.body as { context?: { field?: string } }).context;
	if (error.status === 409 && context?.field && !out[context.field]) out[context.field] = describeError(error);
	return out;
}

const EMPTY_FORM = {
	url: '',
	channelId: null as string | null,
	format: 'embed' as FeedFormat,
	template: '',
	include: [] as string[],
	exclude: [] as string[]
};

/** The add-feed form: preview first (nothing saved), then add; the API's field errors beside their fields. */
function AddFeed({ full }: { full: boolean }) {
	const { guild } = useGuildContext();
	const writes = useFeedWrites(guild.id);
	const [form, setForm] = useState(EMPTY_FORM);
	const [errors, setErrors] = useState<Record<string, string>>({});
	const [general, setGeneral] = useState<string | null>(null);
	const [preview, setPreview] = useState<FeedDryRunAnswer | null>(null);
	const dirty = form.url !== '' || form.template !== '' || form.include.length > 0 || form.exclude.length > 0;
	const leaveGuard = useLeaveGuard(dirty);

	const set = <K extends keyof typeof form>(key: K, value: (typeof form)[K]) => {
		setForm((old) => ({ ...old, [key]: value }));
		setErrors(({ [key]: _, ...rest }) => rest);
		setPreview(null);
	};
	const body = (): FeedRequest => ({
		url: form.url.trim(),
		channelId: form.channelId ?? '',
		format: form.format,
		template: form.template.trim() === '' ? null : form.template,
		include: form.include,
		exclude: form.exclude
	});
	const refused = (error: unknown) => {
		const fields = fieldErrorsOf(error);
		setErrors(fields);
		setGeneral(Object.keys(fields).length > 0 ? null : describeError(error));
	};
	const runPreview = () => {
		setGeneral(null);
		writes.preview.mutate(body(), { onSuccess: (answer) => setPreview(answer), onError: refused });
	};
	const add = () => {
		setGeneral(null);
		writes.add.mutate(body(), {
			onSuccess: (answer) => {
				notify(
					'green',
					'Feed added',
					`${answer.feed.title ?? answer.feed.url}: ${answer.postedMessageId ? 'its newest item was posted' : 'nothing new to post'} in ${channelName(guild, answer.feed.channelId)}.`
				);
				setForm(EMPTY_FORM);
				setPreview(null);
				setErrors({});
			},
			onError: refused
		});
	};
	const busy = writes.preview.isPending || writes.add.isPending;
	return (
		<Paper withBorder p="md" radius="md" component="section" aria-labelledby="add-feed-title">
			{leaveGuard}
			<form
				onSubmit={(event) => {
					event.preventDefault();
					runPreview();
				}}
			>
				<Stack>
					<Title order={3} size="h4" id="add-feed-title">
						Add a feed
					</Title>
					{full ? <Alert color="yellow">This server follows as many feeds as the host allows: remove one to add another.</Alert> : null}
					<TextInput
						label="Feed URL"
						description="RSS, Atom, JSON Feed, or a YouTube channel (@handle or link)"
						placeholder="https://example.com/feed.xml"
						value={form.url}
						onChange={(event) => set('url', event.currentTarget.value)}
						error={errors.url}
						id="feed-url"
						required
					/>
					<Select
						label="Channel"
						description="Where new items are posted"
						data={channelOptions(guild, true)}
						value={form.channelId}
						onChange={(value) => set('channelId', value)}
						error={errors.channelId}
						id="feed-channelId"
						searchable
						placeholder="Pick a channel"
						nothingFoundMessage="Nothing matches"
					/>
					<Stack gap={4}>
						<Text size="sm" fw={500} id="feed-format-label">
							Message format
						</Text>
						<SegmentedControl
							aria-labelledby="feed-format-label"
							value={form.format}
							onChange={(value) => set('format', value as FeedFormat)}
							data={[
								{ value: 'embed', label: 'Embed' },
								{ value: 'text', label: 'Plain text' }
							]}
						/>
					</Stack>
					<Textarea
						label="Template"
						description={`Optional. Placeholders: ${PLACEHOLDERS}`}
						placeholder={form.format === 'embed' ? '{summary}' : '**{feed}**: {title}\n{link}'}
						value={form.template}
						onChange={(event) => set('template', event.currentTarget.value)}
						error={errors.template}
						id="feed-template"
						autosize
						minRows={2}
					/>
					<Group grow align="flex-start" wrap="wrap">
						<TagsInput
							label="Only items with"
							description="Keywords; empty posts everything"
							value={form.include}
							onChange={(value) => set('include', value)}
							error={errors.include}
							id="feed-include"
						/>
						<TagsInput
							label="Skip items with"
							description="Keywords that keep an item out"
							value={form.exclude}
							onChange={(value) => set('exclude', value)}
							error={errors.exclude}
							id="feed-exclude"
						/>
					</Group>
					{general ? (
						<Alert color="red" title="Not added" role="alert">
							{general}
						</Alert>
					) : null}
					<Group justify="flex-end">
						<Button type="submit" variant="default" loading={writes.preview.isPending} disabled={busy || form.url.trim() === ''}>
							Preview
						</Button>
						<Button type="button" onClick={add} loading={writes.add.isPending} disabled={busy || form.url.trim() === '' || full}>
							Add feed
						</Button>
					</Group>
					{preview ? (
						<Stack gap="xs" data-testid="feed-preview">
							<Text size="sm">
								<b>{preview.title ?? preview.url}</b> ({preview.kind}, {preview.items} {preview.items === 1 ? 'item' : 'items'}). Adding it
								marks every item seen and posts {preview.preview ? 'the newest one' : 'nothing (no items yet)'}:
							</Text>
							{preview.preview ? (
								<DiscordMessage message={preview.preview} guild={guild} label="Preview of the newest item" />
							) : (
								<EmptyState title="This feed has no items yet">New items are posted as they appear.</EmptyState>
							)}
						</Stack>
					) : null}
				</Stack>
			</form>
		</Paper>
	);
}

const OUTCOME_COLOR: Record<string, string> = {
	posted: 'green',
	seen: 'gray',
	filtered: 'yellow',
	capped: 'blue',
	too_old: 'gray',
	failed: 'red'
};

/** One poll of the delivery log: what came back, and each new item with what happened to it and why. */
function Poll({ poll }: { poll: PollView }) {
	const skipped = Object.entries(poll.skipped).filter(([, count]) => count > 0);
	return (
		<Paper withBorder p="sm" radius="md" data-poll={poll.id}>
			<Group justify="space-between" wrap="wrap" gap="xs">
				<Text size="sm" fw={600}>
					{new Date(poll.polledAt).toLocaleString()}
				</Text>
				<Group gap={6}>
					{poll.httpStatus !== null ? (
						<Badge variant="light" color={poll.httpStatus < 400 ? 'gray' : 'red'}>
							HTTP {poll.httpStatus}
						</Badge>
					) : null}
					<Badge variant="light" color={poll.error ? 'red' : 'green'}>
						{poll.error ? 'failed' : `${poll.posted} posted`}
					</Badge>
				</Group>
			</Group>
			{poll.error ? (
				<Text size="sm" c="red.4" mt={4}>
					{poll.error}
				</Text>
			) : null}
			<Text size="xs" c="dimmed" mt={4}>
				{poll.found} in the feed
				{skipped.length > 0 ? ` · skipped: ${skipped.map(([reason, count]) => `${count} ${reason.replace('_', ' ')}`).join(', ')}` : ''}
			</Text>
			{poll.items.length > 0 ? (
				<Stack gap={4} mt="xs" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
					{poll.items.map((item, i) => (
						// biome-ignore lint/suspicious/noArrayIndexKey: a poll's items are in a fixed order
						<Group key={i} component="li" gap="xs" wrap="nowrap" align="flex-start" data-outcome={item.outcome}>
							<Badge size="sm" variant="light" color={OUTCOME_COLOR[item.outcome] ?? 'gray'} style={{ flexShrink: 0 }}>
								{item.outcome.replace('_', ' ')}
							</Badge>
							<Text size="sm" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
								{item.title ? (
									item.link ? (
										<Anchor href={item.link} target="_blank" rel="noreferrer noopener">
											{item.title}
										</Anchor>
									) : (
										item.title
									)
								) : null}
								{item.reason ? (
									<Text span size="sm" c="dimmed">
										{item.title ? ' — ' : ''}
										{item.reason}
									</Text>
								) : null}
							</Text>
						</Group>
					))}
				</Stack>
			) : null}
		</Paper>
	);
}

/** The delivery log of one feed, newest poll first, refreshed while open. */
function DeliveryLog({ feed, onClose }: { feed: FeedView | null; onClose: () => void }) {
	const { guild } = useGuildContext();
	const log = useFeedLog(guild.id, feed?.id ?? null);
	return (
		<Drawer
			opened={feed !== null}
			onClose={onClose}
			title={`Delivery log — ${feed?.title ?? feed?.url ?? ''}`}
			position="right"
			size="lg"
			closeButtonProps={{ 'aria-label': 'Close the delivery log' }}
		>
			<Text size="sm" c="dimmed" mb="sm">
				Every poll, and for each new item whether it was posted and, if not, why.
			</Text>
			{log.isPending ? (
				<ListSkeleton rows={4} height={80} />
			) : log.isError ? (
				<LoadError error={log.error} retry={() => log.refetch()} />
			) : log.data.polls.length === 0 ? (
				<EmptyState title="No polls yet">The first poll is due {when(feed?.health.nextPollAt ?? null, 'soon')}.</EmptyState>
			) : (
				<Stack gap="xs" aria-label="Polls">
					{log.data.polls.map((poll) => (
						<Poll key={poll.id} poll={poll} />
					))}
				</Stack>
			)}
		</Drawer>
	);
}

/** What an OPML import did, shown until dismissed. */
interface ImportResult {
	name: string;
	answer: OpmlImportAnswer;
}

/** The result of an import: how many feeds came in, and which were skipped and why. */
function ImportSummary({ result, onClose }: { result: ImportResult; onClose: () => void }) {
	const { imported, skipped } = result.answer;
	return (
		<Alert
			color="green"
			title={`Imported ${imported.length} ${imported.length === 1 ? 'feed' : 'feeds'} from ${result.name}`}
			withCloseButton
			closeButtonLabel="Dismiss"
			onClose={onClose}
			data-testid="opml-result"
		>
			{skipped.length > 0 ? (
				<Stack gap={2}>
					<Text size="sm">Skipped {skipped.length}:</Text>
					{skipped.map((skip) => (
						<Text key={skip.url} size="xs" style={{ overflowWrap: 'anywhere' }}>
							{skip.url} — {skip.reason}
						</Text>
					))}
				</Stack>
			) : (
				'None skipped. Their first poll marks what is in them as seen; new items are posted after that.'
			)}
		</Alert>
	);
}

/** OPML: the export is a download link; an import reads a file, asks where feeds without a channel here go, then shows the result. */
function Opml({ hasFeeds, onImported }: { hasFeeds: boolean; onImported: (result: ImportResult) => void }) {
	const { guild } = useGuildContext();
	const { importOpml } = useFeedWrites(guild.id);
	const [file, setFile] = useState<{ name: string; text: string } | null>(null);
	const [channelId, setChannelId] = useState<string | null>(null);
	const close = () => {
		setFile(null);
		importOpml.reset();
	};
	return (
		<>
			{hasFeeds ? (
				<Button component="a" href={opmlExportUrl(guild.id)} download variant="default" size="sm">
					Export OPML
				</Button>
			) : null}
			<FileButton
				accept=".opml,.xml,text/x-opml,text/xml,application/xml"
				onChange={async (picked) => {
					if (!picked) return;
					setFile({ name: picked.name, text: await picked.text() });
				}}
			>
				{(props) => (
					<Button {...props} variant="default" size="sm">
						Import OPML
					</Button>
				)}
			</FileButton>
			<Modal
				opened={file !== null}
				onClose={close}
				title={`Import ${file?.name ?? ''}`}
				centered
				closeButtonProps={{ 'aria-label': 'Cancel' }}
			>
				<Stack>
					<Text size="sm">
						Feeds keep the channel saved in the file when this server has it; the others go to the channel below. Imported feeds post
						nothing old: their first poll only marks what is there as seen. All or nothing — a problem imports no feed.
					</Text>
					<Select
						label="Channel for the other feeds"
						data={channelOptions(guild, true)}
						value={channelId}
						onChange={setChannelId}
						searchable
						clearable
						placeholder="Pick a channel"
						error={importOpml.error instanceof ApiError ? importOpml.error.fields.defaultChannelId?.join(', ') : undefined}
					/>
					{importOpml.isError ? (
						<Alert color="red" title="Nothing was imported" role="alert">
							{describeError(importOpml.error)}
						</Alert>
					) : null}
					<Group justify="flex-end">
						<Button variant="default" onClick={close}>
							Cancel
						</Button>
						<Button
							loading={importOpml.isPending}
							onClick={() =>
								file &&
								importOpml.mutate(
									{ opml: file.text, defaultChannelId: channelId },
									{
										onSuccess: (answer) => {
											onImported({ name: file.name, answer });
											setFile(null);
										}
									}
								)
							}
						>
							Import feeds
						</Button>
					</Group>
				</Stack>
			</Modal>
		</>
	);
}

/** The feed list: health badge, last error or pause reason, and per feed its log, pause/resume and removal. */
function FeedList({ feeds, confirm }: { feeds: FeedView[]; confirm: (request: ConfirmRequest) => void }) {
	const { guild } = useGuildContext();
	const writes = useFeedWrites(guild.id);
	const [logOf, setLogOf] = useState<FeedView | null>(null);
	if (feeds.length === 0) {
		return (
			<EmptyState title="No feeds yet">
				Add a feed above, or import an OPML file from another reader. New items are posted in the channel you pick.
			</EmptyState>
		);
	}
	return (
		<>
			<Table.ScrollContainer minWidth={560}>
				<Table verticalSpacing="sm" aria-label="Feeds">
					<Table.Thead>
						<Table.Tr>
							<Table.Th>Feed</Table.Th>
							<Table.Th>Health</Table.Th>
							<Table.Th>
								<VisuallyHidden>Actions</VisuallyHidden>
							</Table.Th>
						</Table.Tr>
					</Table.Thead>
					<Table.Tbody>
						{feeds.map((feed) => {
							const health = healthOf(feed);
							const name = feed.title ?? feed.url;
							const problem = feed.state === 'active' ? feed.health.lastError : (feed.pausedReason ?? feed.health.lastError);
							return (
								<Table.Tr key={feed.id} data-feed={feed.id}>
									<Table.Td style={{ maxWidth: 360 }}>
										<Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>
											{name}
										</Text>
										<Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
											{feed.source ?? feed.url} · {feed.kind} · {channelName(guild, feed.channelId)} · every {feed.intervalMinutes} min
										</Text>
									</Table.Td>
									<Table.Td>
										<Stack gap={4}>
											<Badge color={health.color} variant="light" data-health={health.label}>
												{health.label}
											</Badge>
											<Text size="xs" c="dimmed">
												Last success: {when(feed.health.lastSuccessAt, feed.health.lastPolledAt ? 'never' : 'when added')}
												{feed.health.nextPollAt ? ` · next poll ${when(feed.health.nextPollAt)}` : ''}
											</Text>
											{problem ? (
												<Text size="xs" c="red.4" data-last-error>
													{feed.state === 'active' ? 'Last error: ' : ''}
													{problem}
												</Text>
											) : null}
										</Stack>
									</Table.Td>
									<Table.Td>
										<Group gap="xs" justify="flex-end" wrap="nowrap">
											<Button size="xs" variant="light" onClick={() => setLogOf(feed)} aria-label={`Delivery log of ${name}`}>
												Delivery log
											</Button>
											{feed.state === 'active' ? (
												<Button
													size="xs"
													variant="default"
													aria-label={`Pause ${name}`}
													onClick={() =>
														writes.pause.mutate(feed.id, {
															onSuccess: () => notify('green', 'Feed paused', `${name} is not polled until you resume it.`),
															onError: (error) => notify('red', 'Could not pause the feed', describeError(error))
														})
													}
												>
													Pause
												</Button>
											) : (
												<Button
													size="xs"
													variant="default"
													aria-label={`Resume ${name}`}
													onClick={() =>
														writes.resume.mutate(feed.id, {
															onSuccess: () => notify('green', 'Feed resumed', `${name} is polled now.`),
															onError: (error) => notify('red', 'Could not resume the feed', describeError(error))
														})
													}
												>
													Resume
												</Button>
											)}
											<Button
												size="xs"
												variant="light"
												color="red"
												aria-label={`Remove ${name}`}
												onClick={() =>
													confirm({
														title: 'Remove this feed?',
														message: (
															<>
																<b>{name}</b> stops being posted in {channelName(guild, feed.channelId)} and its delivery log is deleted.
																Items already seen stay seen, so adding it again posts nothing old.
															</>
														),
														confirmLabel: 'Remove feed',
														danger: true,
														onConfirm: async () => {
															await writes.remove.mutateAsync(feed.id);
															notify('green', 'Feed removed', `${name} is no longer followed.`);
														}
													})
												}
											>
												Remove
											</Button>
										</Group>
									</Table.Td>
								</Table.Tr>
							);
						})}
					</Table.Tbody>
				</Table>
			</Table.ScrollContainer>
			<DeliveryLog feed={logOf ? (feeds.find((f) => f.id === logOf.id) ?? logOf) : null} onClose={() => setLogOf(null)} />
		</>
	);
}

/** `/servers/:id/dailies`. */
export function FeedsPage() {
	const { guild } = useGuildContext();
	const feeds = useFeeds(guild.id);
	const [confirming, setConfirming] = useState<ConfirmRequest | null>(null);
	const [imported, setImported] = useState<ImportResult | null>(null);
	const list = feeds.data?.feeds ?? [];
	return (
		<Stack>
			<DailiesHeader
				guildId={guild.id}
				current="feeds"
				actions={feeds.isSuccess ? <Opml hasFeeds={list.length > 0} onImported={setImported} /> : null}
			/>
			{imported ? <ImportSummary result={imported} onClose={() => setImported(null)} /> : null}
			{feeds.isPending ? (
				<ListSkeleton rows={4} height={64} />
			) : feeds.isError ? (
				<DailiesLoadError error={feeds.error} retry={() => feeds.refetch()} />
			) : (
				<>
					<AddFeed full={list.length >= feeds.data.limit.feeds} />
					<Text size="sm" c="dimmed">
						{list.length} of {feeds.data.limit.feeds} feeds
					</Text>
					<FeedList feeds={list} confirm={setConfirming} />
				</>
			)}
			<ConfirmDialog request={confirming} onClose={() => setConfirming(null)} />
		</Stack>
	);
}
