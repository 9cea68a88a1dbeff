import type { AuditEntryView, GuildDetail } from '@facet/api';
import { Badge, Button, Code, Group, Paper, Select, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useAudit, useMe, usePlugins, useRevert } from '../api.ts';
import { useGuildContext } from '../components/layout.tsx';
import { ConfirmDialog, type ConfirmRequest, EmptyState, ListSkeleton, LoadError, notify } from '../components/ui.tsx';

/** A stored value as a person reads it: channel and role ids by name, switches as on/off. */
function show(guild: GuildDetail, key: string, holder: { value: unknown } | null): string {
	if (holder === null) return '(default)';
	const { value } = holder;
	if (key === '$enabled') return value ? 'on' : 'off';
	const name = (id: unknown) => {
		if (typeof id !== 'string') return JSON.stringify(id);
		const channel = guild.channels.find((c) => c.id === id);
		if (channel) return `#${channel.name}`;
		const role = guild.roles.find((r) => r.id === id);
		if (role) return `@${role.name}`;
		return id;
	};
	if (value === null || value === undefined) return 'not set';
	if (Array.isArray(value)) return value.length ? value.map(name).join(', ') : 'none';
	if (typeof value === 'string') return name(value);
	return JSON.stringify(value);
}

/** Before → after, with what an array gained and lost. */
function Diff({ guild, entry }: { guild: GuildDetail; entry: AuditEntryView }) {
	const before = show(guild, entry.key, entry.before);
	const after = show(guild, entry.key, entry.after);
	return (
		<Group gap="xs" wrap="wrap" aria-label={`Changed from ${before} to ${after}`}>
			<Code className="diff-before" aria-label={`before: ${before}`}>
				{before}
			</Code>
			<Text span aria-hidden="true">
				→
			</Text>
			<Code className="diff-after" aria-label={`after: ${after}`}>
				{after}
			</Code>
		</Group>
	);
}

/** `/servers/:id/audit`: every configuration change, newest first, filterable by plugin, each revertible. */
export function AuditPage() {
	const { guild } = useGuildContext();
	const me = useMe();
	const plugins = usePlugins(guild.id);
	const [plugin, setPlugin] = useState<string | null>(null);
	const [cursors, setCursors] = useState<string[]>([]);
	const before = cursors.at(-1) ?? null;
	const audit = useAudit(guild.id, plugin, before);
	const revert = useRevert(guild.id);
	const [confirming, setConfirming] = useState<ConfirmRequest | null>(null);

	const entries = audit.data?.entries ?? [];
	return (
		<Stack>
			<Group justify="space-between" wrap="wrap">
				<Title order={2} size="h3">
					Audit log
				</Title>
				<Select
					aria-label="Filter by plugin"
					placeholder="All plugins"
					clearable
					w={200}
					value={plugin}
					onChange={(value) => {
						setPlugin(value);
						setCursors([]);
					}}
					data={(plugins.data?.plugins ?? []).map((p) => p.name)}
				/>
			</Group>
			{audit.isPending ? (
				<ListSkeleton rows={6} height={64} />
			) : audit.isError ? (
				<LoadError error={audit.error} retry={() => audit.refetch()} />
			) : entries.length === 0 ? (
				<EmptyState title="No changes recorded">Switches, settings changes and reverts show up here with who made them.</EmptyState>
			) : (
				<Stack gap="xs" aria-label="Audit entries">
					{entries.map((entry) => (
						<Paper key={entry.id} withBorder p="sm" radius="md" data-entry={entry.id}>
							<Group justify="space-between" wrap="wrap" align="flex-start" gap="xs">
								<Stack gap={4} style={{ minWidth: 0 }}>
									<Group gap="xs">
										<Badge variant="light">{entry.plugin}</Badge>
										<Text fw={600} size="sm">
											{entry.key === '$enabled' ? 'switched' : entry.key}
										</Text>
										{entry.revertOf ? (
											<Badge color="gray" variant="outline" size="sm">
												revert of #{entry.revertOf}
											</Badge>
										) : null}
									</Group>
									<Diff guild={guild} entry={entry} />
									<Text size="xs" c="dimmed">
										#{entry.id} · {new Date(entry.createdAt).toLocaleString()} · by {entry.actorId === me.data?.id ? 'you' : entry.actorId}{' '}
										via {entry.source}
									</Text>
								</Stack>
								<Button
									size="xs"
									variant="light"
									color="orange"
									onClick={() =>
										setConfirming({
											title: `Revert change #${entry.id}?`,
											message: (
												<>
													<b>{entry.key === '$enabled' ? `${entry.plugin} switch` : `${entry.plugin}.${entry.key}`}</b> goes back to{' '}
													<b>{show(guild, entry.key, entry.before)}</b>. The revert is recorded here too.
												</>
											),
											confirmLabel: 'Revert',
											danger: true,
											onConfirm: async () => {
												await revert.mutateAsync(entry.id);
												notify('green', 'Change reverted', `#${entry.id} was undone.`);
											}
										})
									}
								>
									Revert
								</Button>
							</Group>
						</Paper>
					))}
				</Stack>
			)}
			<Group justify="space-between">
				<Button variant="default" disabled={cursors.length === 0} onClick={() => setCursors((old) => old.slice(0, -1))}>
					Newer
				</Button>
				<Button variant="default" disabled={entries.length < 25} onClick={() => setCursors((old) => [...old, entries.at(-1)!.id])}>
					Older
				</Button>
			</Group>
			<ConfirmDialog request={confirming} onClose={() => setConfirming(null)} />
		</Stack>
	);
}
