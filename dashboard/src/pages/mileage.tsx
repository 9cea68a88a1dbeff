import type { ImportPreview, ImportRowError } from '@facet/mileage-api';
import {
	ActionIcon,
	Alert,
	Anchor,
	Badge,
	Button,
	Drawer,
	FileButton,
	Group,
	Modal,
	NumberInput,
	Paper,
	Progress,
	Select,
	Skeleton,
	Stack,
	Table,
	Text,
	TextInput,
	Title,
	VisuallyHidden
} from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import {
	ApiError,
	describeError,
	exportUrl,
	type LeaderboardTarget,
	useJob,
	useLeaderboard,
	useMe,
	useMemberHistory,
	useMileageWrites,
	usePoints,
	useSettings,
	useTiers
} from '../api.ts';
import { useGuildContext } from '../components/layout.tsx';
import { PointsChart } from '../components/points-chart.tsx';
import { ConfirmDialog, type ConfirmRequest, EmptyState, ListSkeleton, LoadError, notify, UserAvatar } from '../components/ui.tsx';

/** Refresh cadence of the leaderboard and chart while the page is open (activity keeps arriving). */
const LIVE_MS = 5_000;

const firstError = (error: unknown, field: string) => (error instanceof ApiError ? error.fields[field]?.join(', ') : undefined);

/** Adjusting a member: amount and reason, then a review step naming both before anything is written. */
function AdjustModal({
	guildId,
	member,
	onClose
}: {
	guildId: string;
	member: { userId: string; name: string } | null;
	onClose: () => void;
}) {
	const { adjust } = useMileageWrites(guildId);
	const [points, setPoints] = useState<number | ''>('');
	const [reason, setReason] = useState('');
	const [reviewing, setReviewing] = useState(false);
	const close = () => {
		setPoints('');
		setReason('');
		setReviewing(false);
		adjust.reset();
		onClose();
	};
	const amount = Number(points);
	return (
		<Modal
			opened={member !== null}
			onClose={close}
			title={reviewing ? 'Confirm the adjustment' : `Adjust ${member?.name ?? ''}'s points`}
			centered
			closeButtonProps={{ 'aria-label': 'Cancel' }}
		>
			{reviewing && member ? (
				<Stack>
					<Text size="sm">
						{amount > 0 ? 'Add' : 'Remove'} <b>{Math.abs(amount)}</b> points {amount > 0 ? 'to' : 'from'} <b>{member.name}</b> because “
						{reason}”? It is recorded in their history and can be reversed.
					</Text>
					<Group justify="flex-end">
						<Button variant="default" onClick={() => setReviewing(false)} disabled={adjust.isPending}>
							Back
						</Button>
						<Button
							color={amount < 0 ? 'red' : undefined}
							loading={adjust.isPending}
							onClick={() =>
								adjust.mutate(
									{ userId: member.userId, points: amount, reason },
									{
										onSuccess: (result) => {
											notify('green', 'Points adjusted', `${member.name} now has ${result.total} points.`);
											close();
										},
										onError: (error) => {
											// Field errors go back to the form, beside their fields.
											setReviewing(false);
											if (!(error instanceof ApiError && error.status === 400))
												notify('red', 'Could not adjust the points', describeError(error));
										}
									}
								)
							}
						>
							{amount > 0 ? `Add ${amount} points` : `Remove ${-amount} points`}
						</Button>
					</Group>
				</Stack>
			) : (
				<form
					onSubmit={(event) => {
						event.preventDefault();
						if (member && points !== '') setReviewing(true);
					}}
				>
					<Stack>
						<NumberInput
							label="Points"
							description="Negative to remove points"
							value={points}
							onChange={(value) => setPoints(typeof value === 'number' ? value : '')}
							allowDecimal={false}
							required
							error={firstError(adjust.error, 'points')}
							data-autofocus
						/>
						<TextInput
							label="Reason"
							value={reason}
							onChange={(event) => setReason(event.currentTarget.value)}
							maxLength={200}
							required
							error={firstError(adjust.error, 'reason')}
						/>
						<Group justify="flex-end">
							<Button variant="default" onClick={close}>
								Cancel
							</Button>
							<Button type="submit" disabled={points === '' || points === 0 || reason.trim() === ''}>
								Review
							</Button>
						</Group>
					</Stack>
				</form>
			)}
		</Modal>
	);
}

/** A member's ledger, newest first, with a reverse button per entry. */
function HistoryDrawer({
	guildId,
	member,
	onClose,
	confirm
}: {
	guildId: string;
	member: { userId: string; name: string } | null;
	onClose: () => void;
	confirm: (request: ConfirmRequest) => void;
}) {
	const history = useMemberHistory(guildId, member?.userId ?? null);
	const { reverse } = useMileageWrites(guildId);
	return (
		<Drawer opened={member !== null} onClose={onClose} title={`${member?.name ?? ''} — history`} position="right" size="md">
			{history.isPending ? (
				<ListSkeleton rows={6} />
			) : history.isError ? (
				<LoadError error={history.error} />
			) : history.data.history.length === 0 ? (
				<EmptyState title="No entries yet" />
			) : (
				<Stack gap="xs">
					<Text size="sm">
						{history.data.points} points{history.data.rank ? `, rank #${history.data.rank}` : ''}
					</Text>
					{history.data.history.map((entry) => (
						<Paper key={entry.id} withBorder p="xs">
							<Group justify="space-between" wrap="nowrap">
								<Stack gap={0}>
									<Text size="sm" fw={600} c={entry.points < 0 ? 'red.4' : undefined}>
										{entry.points > 0 ? '+' : ''}
										{entry.points} · {entry.reason}
									</Text>
									<Text size="xs" c="dimmed">
										{new Date(entry.createdAt).toLocaleString()}
										{entry.note ? ` · ${entry.note}` : ''}
									</Text>
								</Stack>
								{entry.reversedByEventId ? (
									<Badge color="gray" variant="light">
										reversed
									</Badge>
								) : entry.reversesEventId ? (
									<Badge variant="light">reversal</Badge>
								) : (
									<Button
										size="xs"
										variant="light"
										color="red"
										onClick={() =>
											confirm({
												title: 'Reverse this entry?',
												message: `This writes a new entry of ${-entry.points} points for ${member?.name}. The original stays in the history.`,
												confirmLabel: 'Reverse',
												danger: true,
												onConfirm: async () => {
													await reverse.mutateAsync({ eventId: entry.id, reason: 'Reversed from the dashboard' });
													notify('green', 'Entry reversed', `${member?.name}'s points were corrected.`);
												}
											})
										}
									>
										Reverse
									</Button>
								)}
							</Group>
						</Paper>
					))}
				</Stack>
			)}
		</Drawer>
	);
}

/**
 * Paging by keyset: "Next" follows the page's `next` cursor, "Previous" goes back along the cursors followed (or to the
 * page number before, after a jump), "Go" jumps to the page holding a rank and "Find me" to the signed-in user's.
 */
function LeaderboardPager({
	board,
	target,
	go
}: {
	board: { page: number; pages: number; members: number; position: number; next: string | null };
	target: LeaderboardTarget;
	go: (target: LeaderboardTarget) => void;
}) {
	const me = useMe();
	const [rank, setRank] = useState<string | number>('');
	const [back, setBack] = useState<LeaderboardTarget[]>([]);
	const move = (next: LeaderboardTarget, push: boolean) => {
		setBack(push ? [...back, target] : []);
		go(next);
	};
	return (
		<Group justify="space-between" gap="sm" aria-label="Leaderboard pages" role="navigation">
			<Group gap="xs">
				<Button
					size="xs"
					variant="default"
					disabled={board.position <= 1}
					onClick={() => {
						const previous = back.at(-1);
						setBack(back.slice(0, -1));
						go(previous ?? { page: Math.max(1, board.page - 1) });
					}}
				>
					Previous
				</Button>
				<Text size="sm" data-page={board.page}>
					Page {board.page} of {board.pages} · {board.members.toLocaleString()} members
				</Text>
				<Button size="xs" variant="default" disabled={board.next === null} onClick={() => board.next && move({ after: board.next }, true)}>
					Next
				</Button>
			</Group>
			<Group gap="xs" wrap="nowrap">
				<form
					onSubmit={(event) => {
						event.preventDefault();
						if (typeof rank === 'number' && rank >= 1) move({ rank }, false);
					}}
				>
					<Group gap="xs" wrap="nowrap">
						<NumberInput
							size="xs"
							w={110}
							min={1}
							allowDecimal={false}
							aria-label="Jump to rank"
							placeholder="Rank"
							value={rank}
							onChange={setRank}
						/>
						<Button size="xs" variant="light" type="submit">
							Go
						</Button>
					</Group>
				</form>
				{me.data ? (
					<Button size="xs" variant="light" onClick={() => me.data && move({ user: me.data.id }, false)}>
						Find me
					</Button>
				) : null}
			</Group>
		</Group>
	);
}

function Leaderboard({ guildId, confirm }: { guildId: string; confirm: (request: ConfirmRequest) => void }) {
	const [target, setTarget] = useState<LeaderboardTarget>({ page: 1 });
	const board = useLeaderboard(guildId, target, { refetchInterval: LIVE_MS });
	const me = useMe();
	const [adjusting, setAdjusting] = useState<{ userId: string; name: string } | null>(null);
	const [viewing, setViewing] = useState<{ userId: string; name: string } | null>(null);
	if (board.isPending) return <ListSkeleton rows={8} />;
	if (board.isError) return <LoadError error={board.error} retry={() => board.refetch()} />;
	const { entries, members } = board.data;
	// Not while the previous page is still on screen (placeholder): only once the member's own page answered.
	const lookingForMe = 'user' in target && !board.isPlaceholderData;
	return (
		<Stack>
			{lookingForMe && !entries.some((entry) => entry.userId === target.user) ? (
				<Alert color="blue" title="You are not on the leaderboard yet">
					You have no points in this server.
				</Alert>
			) : null}
			{entries.length === 0 && members === 0 ? (
				<EmptyState title="No points yet">Members earn points by chatting, reacting, joining and spending time in voice.</EmptyState>
			) : entries.length === 0 ? (
				<EmptyState title="No one at this position">The leaderboard has {members.toLocaleString()} members.</EmptyState>
			) : (
				<Table.ScrollContainer minWidth={360}>
					<Table verticalSpacing="xs" highlightOnHover aria-label="Leaderboard">
						<Table.Thead>
							<Table.Tr>
								<Table.Th w={64}>Rank</Table.Th>
								<Table.Th>Member</Table.Th>
								<Table.Th ta="right">Points</Table.Th>
								<Table.Th ta="right">
									<VisuallyHidden>Actions</VisuallyHidden>
								</Table.Th>
							</Table.Tr>
						</Table.Thead>
						<Table.Tbody>
							{entries.map((entry) => {
								const name = entry.name ?? entry.userId;
								const mine = entry.userId === me.data?.id;
								return (
									<Table.Tr
										key={entry.userId}
										data-user={entry.userId}
										data-me={mine || undefined}
										aria-current={mine ? 'true' : undefined}
										bg={mine ? 'var(--mantine-primary-color-light)' : undefined}
									>
										<Table.Td>
											<Text fw={700} c={entry.rank <= 3 ? 'yellow.5' : undefined}>
												#{entry.rank}
											</Text>
										</Table.Td>
										<Table.Td>
											<Group gap="sm" wrap="nowrap">
												<UserAvatar userId={entry.userId} hash={entry.avatar} name={name} />
												<Anchor component="button" type="button" onClick={() => setViewing({ userId: entry.userId, name })} c="inherit">
													{name}
												</Anchor>
											</Group>
										</Table.Td>
										<Table.Td ta="right" data-points>
											{entry.points.toLocaleString()}
										</Table.Td>
										<Table.Td ta="right">
											<Button size="xs" variant="light" onClick={() => setAdjusting({ userId: entry.userId, name })}>
												Adjust
											</Button>
										</Table.Td>
									</Table.Tr>
								);
							})}
						</Table.Tbody>
					</Table>
				</Table.ScrollContainer>
			)}
			{members > 0 ? <LeaderboardPager board={board.data} target={target} go={setTarget} /> : null}
			<AdjustModal guildId={guildId} member={adjusting} onClose={() => setAdjusting(null)} />
			<HistoryDrawer guildId={guildId} member={viewing} onClose={() => setViewing(null)} confirm={confirm} />
		</Stack>
	);
}

function Chart({ guildId }: { guildId: string }) {
	const [days, setDays] = useState('30');
	const points = usePoints(guildId, Number(days), { refetchInterval: LIVE_MS });
	return (
		<Paper withBorder p="md" radius="md">
			<Group justify="space-between" mb="sm">
				<Title order={3} size="h4">
					Points over time
				</Title>
				<Select
					aria-label="Period"
					w={140}
					value={days}
					onChange={(value) => value && setDays(value)}
					data={[
						{ value: '7', label: 'Last 7 days' },
						{ value: '30', label: 'Last 30 days' },
						{ value: '90', label: 'Last 90 days' }
					]}
					allowDeselect={false}
				/>
			</Group>
			{points.isPending ? (
				<Skeleton height={220} />
			) : points.isError ? (
				<LoadError error={points.error} />
			) : (
				<PointsChart buckets={points.data.buckets} timeZone={points.data.timeZone} />
			)}
		</Paper>
	);
}

function Tiers({ guildId, confirm }: { guildId: string; confirm: (request: ConfirmRequest) => void }) {
	const { guild } = useGuildContext();
	const tiers = useTiers(guildId);
	const { addTier, removeTier } = useMileageWrites(guildId);
	const [name, setName] = useState('');
	const [threshold, setThreshold] = useState<number | ''>('');
	const [roleId, setRoleId] = useState<string | null>(null);
	return (
		<Paper withBorder p="md" radius="md">
			<Title order={3} size="h4" mb="sm">
				Tiers
			</Title>
			{tiers.isPending ? (
				<ListSkeleton rows={3} />
			) : tiers.isError ? (
				<LoadError error={tiers.error} />
			) : tiers.data.tiers.length === 0 ? (
				<Text size="sm" c="dimmed" mb="sm">
					No tiers yet: add one to give members a role when they reach a number of points.
				</Text>
			) : (
				<Table.ScrollContainer minWidth={360} mb="sm">
					<Table aria-label="Tiers">
						<Table.Thead>
							<Table.Tr>
								<Table.Th>Tier</Table.Th>
								<Table.Th>From</Table.Th>
								<Table.Th>Role</Table.Th>
								<Table.Th>
									<VisuallyHidden>Actions</VisuallyHidden>
								</Table.Th>
							</Table.Tr>
						</Table.Thead>
						<Table.Tbody>
							{tiers.data.tiers.map((tier) => (
								<Table.Tr key={tier.id}>
									<Table.Td>{tier.name}</Table.Td>
									<Table.Td>{tier.threshold.toLocaleString()} points</Table.Td>
									<Table.Td>
										@{tier.roleName ?? tier.roleId}
										{tier.problem ? (
											<Text size="xs" c="red.4">
												{tier.problem}
											</Text>
										) : null}
									</Table.Td>
									<Table.Td ta="right">
										<ActionIcon
											variant="subtle"
											color="red"
											aria-label={`Delete tier ${tier.name}`}
											onClick={() =>
												confirm({
													title: `Delete the tier “${tier.name}”?`,
													message: 'Members keep points; the remaining tiers are re-applied to everyone.',
													confirmLabel: 'Delete tier',
													danger: true,
													onConfirm: () => removeTier.mutateAsync(tier.id)
												})
											}
										>
											<span aria-hidden="true">✕</span>
										</ActionIcon>
									</Table.Td>
								</Table.Tr>
							))}
						</Table.Tbody>
					</Table>
				</Table.ScrollContainer>
			)}
			<form
				onSubmit={(event) => {
					event.preventDefault();
					if (threshold === '' || !roleId) return;
					addTier.mutate(
						{ name, threshold: Number(threshold), roleId },
						{
							onSuccess: () => {
								setName('');
								setThreshold('');
								setRoleId(null);
								notify('green', 'Tier added', 'Members already past it get the role now.');
							},
							onError: (error) => {
								if (!(error instanceof ApiError && error.status === 400)) notify('red', 'Could not add the tier', describeError(error));
							}
						}
					);
				}}
			>
				<Group align="flex-start" gap="xs" wrap="wrap">
					<TextInput
						label="Name"
						value={name}
						onChange={(e) => setName(e.currentTarget.value)}
						required
						maxLength={50}
						error={firstError(addTier.error, 'name')}
					/>
					<NumberInput
						label="Points"
						value={threshold}
						onChange={(v) => setThreshold(typeof v === 'number' ? v : '')}
						min={1}
						allowDecimal={false}
						required
						error={firstError(addTier.error, 'threshold')}
						w={140}
					/>
					<Select
						label="Role"
						data={guild.roles.filter((role) => !role.managed).map((role) => ({ value: role.id, label: `@${role.name}` }))}
						value={roleId}
						onChange={setRoleId}
						searchable
						required
						error={firstError(addTier.error, 'roleId')}
					/>
					<Button type="submit" mt={25} loading={addTier.isPending}>
						Add tier
					</Button>
				</Group>
			</form>
		</Paper>
	);
}

function CsvTools({ guildId }: { guildId: string }) {
	const { importCsv } = useMileageWrites(guildId);
	const [file, setFile] = useState<{ name: string; text: string } | null>(null);
	const [preview, setPreview] = useState<ImportPreview | null>(null);
	const [rowErrors, setRowErrors] = useState<ImportRowError[]>([]);
	const [jobId, setJobId] = useState<string | null>(null);
	const job = useJob(guildId, jobId);
	const running = job.data?.job;
	const percent = running && running.total > 0 ? Math.round((running.done / running.total) * 100) : running?.state === 'done' ? 100 : 0;
	return (
		<Paper withBorder p="md" radius="md">
			<Title order={3} size="h4" mb="sm">
				Export and import
			</Title>
			<Group gap="xs" mb="md">
				<Button component="a" href={exportUrl(guildId, 'totals')} variant="default" download>
					Export totals (CSV)
				</Button>
				<Button component="a" href={exportUrl(guildId, 'ledger')} variant="default" download>
					Export full ledger (CSV)
				</Button>
				<FileButton
					accept=".csv,text/csv"
					onChange={async (picked) => {
						if (!picked) return;
						const text = await picked.text();
						setFile({ name: picked.name, text });
						setPreview(null);
						setRowErrors([]);
						setJobId(null);
						try {
							const answer = await importCsv.mutateAsync({ csv: text, dryRun: true });
							setPreview(answer.preview);
						} catch (error) {
							const body = error instanceof ApiError ? (error.body as { errors?: ImportRowError[] }) : {};
							if (body.errors?.length) setRowErrors(body.errors);
							else notify('red', 'Could not read the file', describeError(error));
						}
					}}
				>
					{(props) => (
						<Button {...props} variant="light">
							Import CSV…
						</Button>
					)}
				</FileButton>
			</Group>
			<Text size="xs" c="dimmed" mb="sm">
				Import files have the columns <code>user_id,points[,note]</code>; points are added to what members have. Nothing is written before
				you confirm the preview.
			</Text>
			{rowErrors.length > 0 ? (
				<Alert
					color="red"
					title={`${file?.name}: ${rowErrors.length} problem${rowErrors.length === 1 ? '' : 's'}, nothing imported`}
					role="alert"
				>
					<Stack gap={2}>
						{rowErrors.slice(0, 10).map((error) => (
							<Text size="sm" key={`${error.row}-${error.field}`}>
								Row {error.row}
								{error.field ? ` (${error.field})` : ''}: {error.message}
							</Text>
						))}
					</Stack>
				</Alert>
			) : null}
			{preview && file && !jobId ? (
				<Alert color="blue" title={`Dry run of ${file.name}`}>
					<Stack gap="xs">
						<Text size="sm">
							{preview.rows} rows for {preview.members} members, {preview.points.toLocaleString()} points in total
							{preview.unknownMembers ? ` (${preview.unknownMembers} not in the server now)` : ''}.
							{preview.ignoredColumns.length ? ` Ignored columns: ${preview.ignoredColumns.join(', ')}.` : ''}
						</Text>
						<Group gap="xs">
							<Button
								onClick={async () => {
									try {
										const answer = await importCsv.mutateAsync({ csv: file.text, dryRun: false });
										if ('job' in answer) setJobId(answer.job.id);
									} catch (error) {
										notify('red', 'Import refused', describeError(error));
									}
								}}
								loading={importCsv.isPending}
							>
								Import {preview.rows} rows
							</Button>
							<Button variant="default" onClick={() => setPreview(null)}>
								Cancel
							</Button>
						</Group>
					</Stack>
				</Alert>
			) : null}
			{jobId ? (
				<Stack gap={4}>
					<Text size="sm">
						Import {running?.state ?? 'starting'}: {running?.done ?? 0} of {running?.total ?? preview?.rows ?? 0} rows
						{running?.error ? ` — ${running.error}` : ''}
					</Text>
					<Progress
						value={percent}
						aria-label="Import progress"
						animated={running?.state === 'running'}
						color={running?.state === 'failed' ? 'red' : undefined}
					/>
				</Stack>
			) : null}
		</Paper>
	);
}

/** `/servers/:id/mileage`: leaderboard, chart, tiers, adjustments and CSV. */
export function MileagePage() {
	const { guild } = useGuildContext();
	const [confirming, setConfirming] = useState<ConfirmRequest | null>(null);
	const board = useLeaderboard(guild.id, { page: 1 });
	const settings = useSettings(guild.id, 'mileage');
	const published = (settings.data?.settings as { publicLeaderboard?: boolean } | undefined)?.publicLeaderboard === true;
	if (board.isError && board.error instanceof ApiError && board.error.body.error === 'plugin_disabled') {
		return (
			<EmptyState title="Mileage is off in this server">
				<Anchor component={Link} to={`/servers/${guild.id}`} underline="always">
					Switch it on in the overview
				</Anchor>{' '}
				to see the leaderboard.
			</EmptyState>
		);
	}
	return (
		<Stack>
			<Title order={2} size="h3">
				Mileage
			</Title>
			<Chart guildId={guild.id} />
			<Paper withBorder p="md" radius="md">
				<Group justify="space-between" mb="sm">
					<Title order={3} size="h4">
						Leaderboard
					</Title>
					<Text size="sm">
						{published ? (
							<Anchor component={Link} to={`/leaderboard/${guild.id}`} underline="always">
								Public page
							</Anchor>
						) : (
							<Anchor component={Link} to={`/servers/${guild.id}/settings/mileage`} underline="always">
								Publish it
							</Anchor>
						)}
					</Text>
				</Group>
				<Leaderboard guildId={guild.id} confirm={setConfirming} />
			</Paper>
			<Tiers guildId={guild.id} confirm={setConfirming} />
			<CsvTools guildId={guild.id} />
			<ConfirmDialog request={confirming} onClose={() => setConfirming(null)} />
		</Stack>
	);
}
