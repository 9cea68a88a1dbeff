import type { GuildDetail } from '@facet/api';
import type { NextRunView, PostRequest, PostView, Weekday } from '@facet/dailies-api';
import {
	Alert,
	Badge,
	Button,
	Checkbox,
	Group,
	NumberInput,
	Paper,
	SegmentedControl,
	Select,
	Skeleton,
	Stack,
	Switch,
	Text,
	Textarea,
	TextInput,
	Title
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { ApiError, describeError, useTimeZones } from '../api.ts';
import { channelName, channelOptions } from '../components/channels.ts';
import { DailiesHeader, DailiesLoadError } from '../components/dailies-nav.tsx';
import { DiscordMessage } from '../components/discord-message.tsx';
import { useGuildContext } from '../components/layout.tsx';
import {
	ConfirmDialog,
	type ConfirmRequest,
	EmptyState,
	ListSkeleton,
	LoadError,
	notify,
	SaveBar,
	useLeaveGuard
} from '../components/ui.tsx';
import { useDraftPreview, usePost, usePostPreview, usePosts, usePostWrites } from '../dailies-api.ts';

/*
 * `/servers/:id/dailies/posts`: daily posts — time, weekday, time-zone and channel pickers, the next run in the post's
 * zone and the reader's own, a live preview from the server's renderer (the one the sender uses), edit with a save
 * bar, and delete / skip-next behind a confirmation.
 */

const WEEKDAYS: { value: Weekday; label: string }[] = [
	{ value: 'mon', label: 'Mon' },
	{ value: 'tue', label: 'Tue' },
	{ value: 'wed', label: 'Wed' },
	{ value: 'thu', label: 'Thu' },
	{ value: 'fri', label: 'Fri' },
	{ value: 'sat', label: 'Sat' },
	{ value: 'sun', label: 'Sun' }
];
const ALL_DAYS = WEEKDAYS.map((day) => day.value);
/** Picker value for "follow the server's" (a post's zone or channel left null). */
const SERVER = '__server__';

/** Which days, in words. */
function describeDays(days: Weekday[]): string {
	const set = new Set(days);
	if (set.size === 7) return 'every day';
	if (set.size === 5 && !set.has('sat') && !set.has('sun')) return 'weekdays';
	if (set.size === 2 && set.has('sat') && set.has('sun')) return 'weekends';
	return WEEKDAYS.filter((day) => set.has(day.value))
		.map((day) => day.label)
		.join(', ');
}

/** The next run in the post's zone, and when that is for the person reading. */
export function NextRun({ next }: { next: NextRunView | null }) {
	if (!next) return <Text size="sm">No run ahead.</Text>;
	const yours = new Date(next.at).toLocaleString(undefined, {
		weekday: 'short',
		month: 'short',
		day: 'numeric',
		hour: '2-digit',
		minute: '2-digit',
		timeZoneName: 'short'
	});
	return (
		<Text size="sm" data-next-run={next.at}>
			Next run: <b>{next.local}</b>
			<Text span size="xs" c="dimmed">
				{' '}
				— your time: {yours}
			</Text>
		</Text>
	);
}

interface Form {
	time: string;
	kind: 'message' | 'prompts';
	message: string;
	prompts: string;
	weekdays: Weekday[];
	timeZone: string;
	channelId: string;
	missedPolicy: 'late' | 'skip';
	graceMinutes: number;
}

const NEW_POST: Form = {
	time: '09:00',
	kind: 'message',
	message: '',
	prompts: '',
	weekdays: ALL_DAYS,
	timeZone: SERVER,
	channelId: SERVER,
	missedPolicy: 'late',
	graceMinutes: 120
};

function formOf(post: PostView): Form {
	return {
		time: post.time,
		kind: post.prompts ? 'prompts' : 'message',
		message: post.message ?? '',
		prompts: (post.prompts ?? []).join('\n'),
		weekdays: post.weekdays,
		timeZone: post.timeZone ?? SERVER,
		channelId: post.channelId ?? SERVER,
		missedPolicy: post.missedPolicy,
		graceMinutes: post.graceMinutes
	};
}

/** The body the API takes for a form (a prompt per line). */
function bodyOf(form: Form): PostRequest {
	return {
		time: form.time,
		...(form.kind === 'message' ? { message: form.message } : { prompts: form.prompts.split('\n').filter((line) => line.trim() !== '') }),
		weekdays: form.weekdays,
		timeZone: form.timeZone === SERVER ? null : form.timeZone,
		channelId: form.channelId === SERVER ? null : form.channelId,
		missedPolicy: form.missedPolicy,
		graceMinutes: form.graceMinutes
	};
}

/** Field errors of a refused body, by the form's field (`prompts.2` → prompts). */
function fieldErrors(error: unknown): Record<string, string> {
	if (!(error instanceof ApiError) || error.status !== 400) return {};
	const out: Record<string, string> = {};
	for (const [path, messages] of Object.entries(error.fields)) {
		const field = path.split('.')[0]!;
		out[field] = out[field] ? `${out[field]}; ${messages.join(', ')}` : messages.join(', ');
	}
	return out;
}

/** Create (no `post`) or edit a post; the preview and next run come from the server as you type. */
function PostEditor({ post, onDone }: { post: PostView | null; onDone: () => void }) {
	const { guild } = useGuildContext();
	const zones = useTimeZones();
	const writes = usePostWrites(guild.id);
	const original = post ? formOf(post) : NEW_POST;
	const [form, setForm] = useState<Form>(original);
	const [saveErrors, setSaveErrors] = useState<Record<string, string>>({});
	const changed = (Object.keys(form) as (keyof Form)[]).filter((key) => JSON.stringify(form[key]) !== JSON.stringify(original[key]));
	const leaveGuard = useLeaveGuard(changed.length > 0);
	const [debounced] = useDebouncedValue(bodyOf(form), 300);
	const draft = useDraftPreview(guild.id, debounced);
	const errors = { ...fieldErrors(draft.error), ...saveErrors };

	const set = <K extends keyof Form>(key: K, value: Form[K]) => {
		setForm((old) => ({ ...old, [key]: value }));
		setSaveErrors({});
	};
	const refused = (error: unknown) => {
		const fields = fieldErrors(error);
		setSaveErrors(fields);
		notify(
			'red',
			post ? 'Not saved' : 'Not created',
			Object.keys(fields).length ? 'See the messages beside the fields.' : describeError(error)
		);
	};
	const save = () => {
		if (post) {
			writes.update.mutate(
				{ postId: post.id, body: bodyOf(form) },
				{
					onSuccess: () => {
						notify('green', 'Daily post saved', `Post #${post.id} was changed.`);
						onDone();
					},
					onError: refused
				}
			);
		} else {
			writes.create.mutate(bodyOf(form), {
				onSuccess: ({ post: created }) => {
					notify('green', 'Daily post created', `Post #${created.id}: ${created.nextRun ? created.nextRun.local : 'no run ahead'}.`);
					onDone();
				},
				onError: refused
			});
		}
	};
	const serverZone = post?.effectiveTimeZone && !post.timeZone ? post.effectiveTimeZone : null;
	const zoneOptions = [
		{ value: SERVER, label: `The server's zone${serverZone ? ` (${serverZone})` : ''}` },
		...(zones.data?.timeZones ?? [])
	];
	const channelChoices = [{ value: SERVER, label: "The server's daily channel" }, ...channelOptions(guild, true)];
	const saving = writes.create.isPending || writes.update.isPending;
	const title = post ? `Edit daily post #${post.id}` : 'New daily post';
	return (
		<Paper withBorder p="md" radius="md" component="section" aria-label={title}>
			{leaveGuard}
			<form
				onSubmit={(event) => {
					event.preventDefault();
					if (!post) save();
				}}
			>
				<Stack>
					<Title order={3} size="h4">
						{title}
					</Title>
					<Group grow align="flex-start" wrap="wrap">
						<TextInput
							type="time"
							label="Time"
							description="Wall-clock time in the post's zone"
							value={form.time}
							onChange={(event) => set('time', event.currentTarget.value)}
							error={errors.time}
							id="post-time"
							required
						/>
						<Select
							label="Time zone"
							data={zoneOptions}
							value={form.timeZone}
							onChange={(value) => set('timeZone', value ?? SERVER)}
							error={errors.timeZone}
							id="post-timeZone"
							searchable
							limit={50}
							allowDeselect={false}
							nothingFoundMessage="No such time zone"
						/>
						<Select
							label="Channel"
							data={channelChoices}
							value={form.channelId}
							onChange={(value) => set('channelId', value ?? SERVER)}
							error={errors.channelId}
							id="post-channelId"
							searchable
							allowDeselect={false}
						/>
					</Group>
					<Checkbox.Group
						label="Weekdays"
						value={form.weekdays}
						onChange={(value) =>
							set(
								'weekdays',
								ALL_DAYS.filter((day) => value.includes(day))
							)
						}
						error={errors.weekdays}
					>
						<Group gap="sm" mt={6} wrap="wrap">
							{WEEKDAYS.map((day) => (
								<Checkbox key={day.value} value={day.value} label={day.label} />
							))}
							<Button size="compact-xs" variant="subtle" onClick={() => set('weekdays', ALL_DAYS)}>
								Every day
							</Button>
							<Button size="compact-xs" variant="subtle" onClick={() => set('weekdays', ALL_DAYS.slice(0, 5))}>
								Weekdays
							</Button>
						</Group>
					</Checkbox.Group>
					<Stack gap={4}>
						<Text size="sm" fw={500} id="post-kind-label">
							What it posts
						</Text>
						<SegmentedControl
							aria-labelledby="post-kind-label"
							value={form.kind}
							onChange={(value) => set('kind', value as Form['kind'])}
							data={[
								{ value: 'message', label: 'One message' },
								{ value: 'prompts', label: 'Rotating prompts' }
							]}
						/>
					</Stack>
					{form.kind === 'message' ? (
						<Textarea
							label="Message"
							description="Up to 2,000 characters. Member and role mentions ping; @everyone and @here never do."
							value={form.message}
							onChange={(event) => set('message', event.currentTarget.value)}
							error={errors.message}
							id="post-message"
							autosize
							minRows={3}
						/>
					) : (
						<Textarea
							label="Prompts"
							description="One per line. Each day posts the next of a shuffled cycle; none repeats before all were posted."
							value={form.prompts}
							onChange={(event) => set('prompts', event.currentTarget.value)}
							error={errors.prompts ?? errors.message}
							id="post-prompts"
							autosize
							minRows={4}
						/>
					)}
					<Group grow align="flex-start" wrap="wrap">
						<Select
							label="After downtime"
							data={[
								{ value: 'late', label: 'Post late within the grace window' },
								{ value: 'skip', label: 'Skip a missed day' }
							]}
							value={form.missedPolicy}
							onChange={(value) => set('missedPolicy', value === 'skip' ? 'skip' : 'late')}
							allowDeselect={false}
						/>
						<NumberInput
							label="Grace window (minutes)"
							min={0}
							max={720}
							value={form.graceMinutes}
							onChange={(value) => set('graceMinutes', typeof value === 'number' ? value : Number(value) || 0)}
							error={errors.graceMinutes}
							disabled={form.missedPolicy === 'skip'}
						/>
					</Group>
					<Stack gap="xs" aria-live="polite">
						<Text size="sm" fw={500}>
							Preview
						</Text>
						{draft.isPending && !draft.data ? (
							<Skeleton height={72} />
						) : draft.data && Object.keys(fieldErrors(draft.error)).length === 0 ? (
							<>
								<NextRun next={draft.data.nextRun} />
								<Text size="xs" c="dimmed">
									{draft.data.channelId
										? `In ${channelName(guild, draft.data.channelId)}`
										: "No channel yet: pick one, or set the server's daily channel in the settings"}
									{form.kind === 'prompts' ? ' · the first run posts one of the prompts (shown: the first listed)' : ''}
								</Text>
								<DiscordMessage message={draft.data.message} guild={guild} label="Preview of this post" />
							</>
						) : (
							<Text size="sm" c="dimmed">
								Fix the fields marked above to see the preview.
							</Text>
						)}
					</Stack>
					{post ? (
						<SaveBar
							count={changed.length}
							saving={saving}
							onSave={save}
							onReset={() => {
								setForm(original);
								setSaveErrors({});
							}}
						/>
					) : null}
					<Group justify="flex-end">
						<Button variant="default" onClick={onDone} disabled={saving}>
							{post ? 'Close' : 'Cancel'}
						</Button>
						{post ? null : (
							<Button type="submit" loading={saving}>
								Create post
							</Button>
						)}
					</Group>
				</Stack>
			</form>
		</Paper>
	);
}

/** The exact message the next run sends (the sender's renderer), and the last runs with why any was skipped. */
function PostPreview({ guild, post }: { guild: GuildDetail; post: PostView }) {
	const preview = usePostPreview(guild.id, post.id);
	const detail = usePost(guild.id, post.id);
	if (preview.isPending) return <Skeleton height={96} />;
	if (preview.isError) return <LoadError error={preview.error} retry={() => preview.refetch()} />;
	return (
		<Stack gap="xs">
			<NextRun next={preview.data.nextRun} />
			<DiscordMessage message={preview.data.message} guild={guild} label={`Preview of post #${post.id}`} />
			{detail.data && detail.data.runs.length > 0 ? (
				<Stack gap={2}>
					<Text size="sm" fw={500}>
						Last runs
					</Text>
					{detail.data.runs.slice(0, 5).map((run) => (
						<Text key={run.localDate} size="xs" data-run={run.status}>
							{run.localDate}: {run.status}
							{run.reason ? ` — ${run.reason}` : ''}
						</Text>
					))}
				</Stack>
			) : null}
		</Stack>
	);
}

function PostCard({ post, onEdit, confirm }: { post: PostView; onEdit: () => void; confirm: (request: ConfirmRequest) => void }) {
	const { guild } = useGuildContext();
	const writes = usePostWrites(guild.id);
	const [showPreview, setShowPreview] = useState(false);
	const text = post.message ?? `${post.prompts?.length ?? 0} rotating prompts`;
	return (
		<Paper withBorder p="md" radius="md" data-post={post.id} component="article" aria-label={`Daily post #${post.id}`}>
			<Stack gap="xs">
				<Group justify="space-between" wrap="wrap" gap="xs">
					<Group gap="xs" wrap="wrap">
						<Text fw={700}>
							{post.time} · {describeDays(post.weekdays)}
						</Text>
						<Badge variant="light" color="gray">
							{post.effectiveTimeZone}
							{post.timeZone ? '' : " (server's)"}
						</Badge>
						<Badge variant="light" color="gray">
							{channelName(guild, post.effectiveChannelId)}
						</Badge>
						{post.enabled ? null : (
							<Badge variant="light" color="yellow">
								off
							</Badge>
						)}
					</Group>
					<Switch
						label="On"
						checked={post.enabled}
						aria-label={`Post #${post.id} on`}
						onChange={(event) => {
							const enabled = event.currentTarget.checked;
							writes.setEnabled.mutate(
								{ postId: post.id, enabled },
								{ onError: (error) => notify('red', `Could not switch post #${post.id} ${enabled ? 'on' : 'off'}`, describeError(error)) }
							);
						}}
					/>
				</Group>
				<Text size="sm" lineClamp={2} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
					{text}
				</Text>
				{post.enabled ? <NextRun next={post.nextRun} /> : <Text size="sm">Off: nothing is posted until it is switched on.</Text>}
				<Group gap="xs">
					<Button size="xs" variant="light" onClick={() => setShowPreview((open) => !open)} aria-expanded={showPreview}>
						{showPreview ? 'Hide preview' : 'Preview'}
					</Button>
					<Button size="xs" variant="default" onClick={onEdit}>
						Edit
					</Button>
					<Button
						size="xs"
						variant="default"
						disabled={!post.enabled || !post.nextRun}
						onClick={() =>
							confirm({
								title: 'Skip the next run?',
								message: `The run of ${post.nextRun?.local ?? 'the next day'} is recorded as skipped and not posted. The one after it posts as usual.`,
								confirmLabel: 'Skip next run',
								onConfirm: async () => {
									await writes.skipNext.mutateAsync(post.id);
									notify('green', 'Next run skipped', `Post #${post.id} skips ${post.nextRun?.local ?? 'its next run'}.`);
								}
							})
						}
					>
						Skip next
					</Button>
					<Button
						size="xs"
						variant="light"
						color="red"
						onClick={() =>
							confirm({
								title: `Delete daily post #${post.id}?`,
								message: 'The post and its run history are deleted. This cannot be undone.',
								confirmLabel: 'Delete post',
								danger: true,
								onConfirm: async () => {
									await writes.remove.mutateAsync(post.id);
									notify('green', 'Daily post deleted', `Post #${post.id} will not be posted again.`);
								}
							})
						}
					>
						Delete
					</Button>
				</Group>
				{showPreview ? <PostPreview guild={guild} post={post} /> : null}
			</Stack>
		</Paper>
	);
}

/** `/servers/:id/dailies/posts`. */
export function PostsPage() {
	const { guild } = useGuildContext();
	const posts = usePosts(guild.id);
	const [editing, setEditing] = useState<PostView | 'new' | null>(null);
	const [confirming, setConfirming] = useState<ConfirmRequest | null>(null);
	const list = posts.data?.posts ?? [];
	const full = posts.data ? list.length >= posts.data.limit : false;
	return (
		<Stack>
			<DailiesHeader
				guildId={guild.id}
				current="posts"
				actions={
					posts.isSuccess && editing === null ? (
						<Button size="sm" onClick={() => setEditing('new')} disabled={full}>
							New daily post
						</Button>
					) : null
				}
			/>
			{full ? <Alert color="yellow">This server has as many daily posts as the host allows ({posts.data?.limit}).</Alert> : null}
			{editing !== null ? (
				<PostEditor
					key={editing === 'new' ? 'new' : editing.id}
					post={editing === 'new' ? null : editing}
					onDone={() => setEditing(null)}
				/>
			) : null}
			{posts.isPending ? (
				<ListSkeleton rows={3} height={96} />
			) : posts.isError ? (
				<DailiesLoadError error={posts.error} retry={() => posts.refetch()} />
			) : list.length === 0 ? (
				editing === null ? (
					<EmptyState title="No daily posts yet">
						A daily post is a message — or a rotating list of prompts — posted at a time of day in the server's time zone.
					</EmptyState>
				) : null
			) : (
				list.map((post) => <PostCard key={post.id} post={post} onEdit={() => setEditing(post)} confirm={setConfirming} />)
			)}
			<ConfirmDialog request={confirming} onClose={() => setConfirming(null)} />
		</Stack>
	);
}
