import { Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { Link, Navigate } from 'react-router';
import { useGuilds, useMe } from '../api.ts';
import { EmptyState, GuildIcon, ListSkeleton, LoadError } from '../components/ui.tsx';

const ACCESS_LABEL = { owner: 'Owner', administrator: 'Administrator', manage_guild: 'Manage Server', dashboard_role: 'Dashboard role' };

/** `/servers`: the servers the user may manage that have the bot, as the bot sees them. */
export function ServersPage() {
	const me = useMe();
	const guilds = useGuilds();
	if (me.data === null) return <Navigate to="/" replace />;
	return (
		<Stack>
			<Title order={1} size="h2">
				Pick a server
			</Title>
			{guilds.isPending ? (
				<ListSkeleton rows={3} height={76} />
			) : guilds.isError ? (
				<LoadError error={guilds.error} retry={() => guilds.refetch()} />
			) : guilds.data.guilds.length === 0 ? (
				<EmptyState title="No servers to manage">
					Facet is not in any server you may manage (owner, Administrator, Manage Server or a dashboard role). Invite the bot to one of
					yours, then reload this page.
				</EmptyState>
			) : (
				<SimpleGrid cols={{ base: 1, xs: 2, md: 3 }}>
					{guilds.data.guilds.map((guild) => (
						<Card key={guild.id} withBorder radius="md" padding="md" component={Link} to={`/servers/${guild.id}`}>
							<Group wrap="nowrap">
								<GuildIcon id={guild.id} icon={guild.icon} name={guild.name} />
								<Stack gap={4} style={{ minWidth: 0 }}>
									<Text fw={600} truncate>
										{guild.name}
									</Text>
									<Badge variant="light" size="sm">
										{ACCESS_LABEL[guild.access]}
									</Badge>
								</Stack>
							</Group>
						</Card>
					))}
				</SimpleGrid>
			)}
			{guilds.data && guilds.data.invitable.length > 0 ? (
				<>
					<Title order={2} size="h4" mt="md">
						Add Facet to your other servers
					</Title>
					<SimpleGrid cols={{ base: 1, xs: 2, md: 3 }}>
						{guilds.data.invitable.map((guild) => (
							<Card key={guild.id} withBorder radius="md" padding="md" data-invitable={guild.id}>
								<Group wrap="nowrap" justify="space-between">
									<Group wrap="nowrap" style={{ minWidth: 0 }}>
										<GuildIcon id={guild.id} icon={guild.icon} name={guild.name} />
										<Text fw={600} truncate>
											{guild.name}
										</Text>
									</Group>
									<Button component="a" href={guild.inviteUrl} target="_blank" rel="noreferrer" size="xs" variant="light">
										Invite the bot
									</Button>
								</Group>
							</Card>
						))}
					</SimpleGrid>
				</>
			) : null}
			<Text size="sm" c="dimmed">
				Missing a server? The bot has to be in it, and you need Manage Server there (or a dashboard role).
			</Text>
		</Stack>
	);
}
