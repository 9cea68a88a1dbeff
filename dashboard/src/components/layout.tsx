import type { GuildDetail } from '@facet/api';
import {
	ActionIcon,
	Anchor,
	AppShell,
	Box,
	Button,
	Container,
	Group,
	Menu,
	Skeleton,
	Tabs,
	Text,
	Title,
	useComputedColorScheme,
	useMantineColorScheme
} from '@mantine/core';
import { useEffect } from 'react';
import { Link, Outlet, useLocation, useNavigate, useOutletContext, useParams } from 'react-router';
import { ApiError, keys, logout, onGuildForbidden, onSessionExpired, queryClient, useGuild, useMe } from '../api.ts';
import { EmptyState, GuildIcon, LoadError, Toasts, UserAvatar } from './ui.tsx';

/** Light/dark switch (the choice is kept by Mantine in localStorage). */
function ColorSchemeToggle() {
	const { setColorScheme } = useMantineColorScheme();
	const scheme = useComputedColorScheme('dark');
	return (
		<ActionIcon
			variant="default"
			size="lg"
			aria-label={scheme === 'dark' ? 'Use the light theme' : 'Use the dark theme'}
			onClick={() => setColorScheme(scheme === 'dark' ? 'light' : 'dark')}
		>
			<span aria-hidden="true">{scheme === 'dark' ? '☀' : '☾'}</span>
		</ActionIcon>
	);
}

/** Header, toasts and the expired-session redirect, around every page. */
export function Shell() {
	const navigate = useNavigate();
	const me = useMe();
	useEffect(
		() =>
			onSessionExpired(() => {
				queryClient.clear();
				navigate('/expired', { replace: true });
			}),
		[navigate]
	);
	const user = me.data;
	return (
		<AppShell header={{ height: 56 }} padding="md">
			<AppShell.Header>
				<Group h="100%" px="md" justify="space-between" wrap="nowrap">
					<Anchor component={Link} to={user ? '/servers' : '/'} underline="never" c="inherit">
						<Group gap="xs" wrap="nowrap">
							<img src="/favicon.svg" alt="" width={28} height={28} />
							<Text fw={700} size="lg">
								Facet
							</Text>
						</Group>
					</Anchor>
					<Group gap="xs" wrap="nowrap">
						<ColorSchemeToggle />
						{user ? (
							<Menu position="bottom-end">
								<Menu.Target>
									<Button variant="subtle" px="xs">
										<Group gap={8} wrap="nowrap">
											<span aria-hidden="true">
												<UserAvatar userId={user.id} hash={user.avatar} name={user.globalName ?? user.username} size={28} />
											</span>
											<Text size="sm" maw={110} truncate>
												{user.globalName ?? user.username}
											</Text>
										</Group>
									</Button>
								</Menu.Target>
								<Menu.Dropdown>
									<Menu.Item component={Link} to="/servers">
										Your servers
									</Menu.Item>
									<Menu.Item
										color="red"
										onClick={async () => {
											await logout();
											navigate('/', { replace: true });
										}}
									>
										Log out
									</Menu.Item>
								</Menu.Dropdown>
							</Menu>
						) : null}
					</Group>
				</Group>
			</AppShell.Header>
			<AppShell.Main>
				<Container size="lg" px={0}>
					<Outlet />
				</Container>
			</AppShell.Main>
			<Toasts />
		</AppShell>
	);
}

/** What the pages of one server get from {@link GuildLayout}. */
export interface GuildContext {
	guild: GuildDetail;
}

/** The server in the current URL (inside {@link GuildLayout}). */
export const useGuildContext = () => useOutletContext<GuildContext>();

const TABS = [
	{ value: 'overview', label: 'Overview' },
	{ value: 'settings', label: 'Settings' },
	{ value: 'mileage', label: 'Mileage' },
	{ value: 'dailies', label: 'Dailies' },
	{ value: 'audit', label: 'Audit log' }
];

/** One server's pages: its name and icon, tabs, and a clear page when the user may not manage it. */
export function GuildLayout() {
	const { guildId = '' } = useParams();
	const location = useLocation();
	const navigate = useNavigate();
	const guild = useGuild(guildId);
	const current = location.pathname.split('/')[3] || 'overview';
	// Any manage route of this server refused (the right was lost): ask again at once, which shows the no-access page.
	useEffect(
		() =>
			onGuildForbidden((id) => {
				if (id === guildId) void queryClient.invalidateQueries({ queryKey: keys.guild(id), exact: true });
			}),
		[guildId]
	);

	if (guild.isPending) {
		return (
			<Box>
				<Skeleton height={48} width={260} mb="md" />
				<Skeleton height={36} mb="md" />
				<Skeleton height={200} />
			</Box>
		);
	}
	if (guild.isError) {
		const error = guild.error;
		if (error instanceof ApiError && (error.status === 403 || error.status === 404)) {
			return (
				<EmptyState title={error.status === 403 ? 'You cannot manage this server' : 'Facet is not in this server'}>
					{error.status === 403
						? 'Only its owner, administrators, members with Manage Server and dashboard roles can open its settings.'
						: 'Invite the bot first, or pick another server.'}{' '}
					<Anchor component={Link} to="/servers" underline="always">
						Back to your servers
					</Anchor>
				</EmptyState>
			);
		}
		return <LoadError error={error} retry={() => guild.refetch()} />;
	}
	const detail = guild.data;
	return (
		<Box>
			<Group gap="sm" mb="md" wrap="nowrap">
				<GuildIcon id={detail.id} icon={detail.icon} name={detail.name} size={44} />
				<Box style={{ minWidth: 0 }}>
					<Title order={1} size="h2" style={{ overflowWrap: 'anywhere' }}>
						{detail.name}
					</Title>
					<Text size="xs" c="dimmed">
						Your access: {detail.access.replace('_', ' ')}
					</Text>
				</Box>
			</Group>
			<Tabs
				value={current}
				onChange={(value) => navigate(`/servers/${guildId}${value && value !== 'overview' ? `/${value}` : ''}`)}
				mb="md"
				keepMounted={false}
			>
				<Tabs.List style={{ flexWrap: 'nowrap', overflowX: 'auto' }}>
					{TABS.map((tab) => (
						<Tabs.Tab key={tab.value} value={tab.value}>
							{tab.label}
						</Tabs.Tab>
					))}
				</Tabs.List>
			</Tabs>
			<Outlet context={{ guild: detail } satisfies GuildContext} />
		</Box>
	);
}
