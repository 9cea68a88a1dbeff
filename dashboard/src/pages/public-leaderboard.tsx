import { Avatar, Button, Center, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useParams } from 'react-router';
import { ApiError, usePublicLeaderboard } from '../api.ts';
import { EmptyState, ListSkeleton, LoadError } from '../components/ui.tsx';

/*
 * `/leaderboard/:guildId`: a server's public leaderboard, for anyone, no login. It shows what the API gives it —
 * ranks, names and avatars — and nothing else. A small page of its own (a lazy chunk).
 */

/** Anyone's view of a server's leaderboard, where the server published it; a plain "not available" page otherwise. */
export function PublicLeaderboardPage() {
	const { guildId = '' } = useParams();
	const [page, setPage] = useState(1);
	const board = usePublicLeaderboard(guildId, page);
	if (board.isPending) return <ListSkeleton rows={10} />;
	if (board.isError) {
		if (board.error instanceof ApiError && board.error.status === 404) {
			return (
				<Center mih="50vh">
					<EmptyState title="This leaderboard is not available">
						The server has not published its leaderboard, or the link is wrong.
					</EmptyState>
				</Center>
			);
		}
		return <LoadError error={board.error} retry={() => board.refetch()} />;
	}
	const { guild, entries, hasNext } = board.data;
	return (
		<Stack maw={720} mx="auto">
			<Group gap="sm" wrap="nowrap">
				<Avatar src={guild.iconUrl} alt="" name={guild.name} color="initials" size={44} radius="lg" />
				<Title order={1} size="h2" style={{ overflowWrap: 'anywhere' }}>
					{guild.name} leaderboard
				</Title>
			</Group>
			<Paper withBorder radius="md" p="md">
				{entries.length === 0 ? (
					<EmptyState title="No one to show on this page" />
				) : (
					<Table verticalSpacing="xs" aria-label="Public leaderboard">
						<Table.Thead>
							<Table.Tr>
								<Table.Th w={72}>Rank</Table.Th>
								<Table.Th>Member</Table.Th>
							</Table.Tr>
						</Table.Thead>
						<Table.Tbody>
							{entries.map((entry) => (
								<Table.Tr key={`${entry.rank}-${entry.name}-${entry.avatarUrl ?? ''}`} data-rank={entry.rank}>
									<Table.Td>
										<Text fw={700} c={entry.rank <= 3 ? 'yellow.5' : undefined}>
											#{entry.rank}
										</Text>
									</Table.Td>
									<Table.Td>
										<Group gap="sm" wrap="nowrap">
											<Avatar src={entry.avatarUrl} alt="" name={entry.name} color="initials" size={32} radius="xl" />
											<Text data-name>{entry.name}</Text>
										</Group>
									</Table.Td>
								</Table.Tr>
							))}
						</Table.Tbody>
					</Table>
				)}
				<Group justify="space-between" mt="sm">
					<Button size="xs" variant="default" disabled={page <= 1} onClick={() => setPage(page - 1)}>
						Previous
					</Button>
					<Text size="sm">Page {page}</Text>
					<Button size="xs" variant="default" disabled={!hasNext} onClick={() => setPage(page + 1)}>
						Next
					</Button>
				</Group>
			</Paper>
			<Text size="xs" c="dimmed" ta="center">
				Members can hide themselves from this page with /mileage privacy.
			</Text>
		</Stack>
	);
}
