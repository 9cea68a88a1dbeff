import { Alert, Anchor, Button, Center, Paper, Stack, Text, Title } from '@mantine/core';
import { Link, Navigate, useSearchParams } from 'react-router';
import { loginUrl, useMe } from '../api.ts';
import { ListSkeleton } from '../components/ui.tsx';

const LOGIN_ERRORS: Record<string, string> = {
	access_denied: 'The login was cancelled on Discord. Nothing was shared.'
};

/** `/`: log in with Discord, or straight on to the server list with a session. */
export function LoginPage() {
	const me = useMe();
	const [params] = useSearchParams();
	if (me.isPending) return <ListSkeleton rows={2} height={80} />;
	if (me.data) return <Navigate to="/servers" replace />;
	const error = params.get('login_error');
	return (
		<Center mih="70vh">
			<Paper withBorder shadow="md" p="xl" radius="lg" maw={440} w="100%">
				<Stack>
					<Title order={1} size="h2">
						Facet dashboard
					</Title>
					<Text c="dimmed">Switch plugins, change settings, see the mileage leaderboard and undo changes from the audit log.</Text>
					{error ? (
						<Alert color="red" title="Login failed" role="alert">
							{LOGIN_ERRORS[error] ?? `Discord answered: ${error}`}
						</Alert>
					) : null}
					<Button component="a" href={loginUrl()} size="md">
						Log in with Discord
					</Button>
					<Text size="xs" c="dimmed">
						Facet asks Discord for your name and your server list only. Which servers you may manage is checked by the bot on every request.
					</Text>
				</Stack>
			</Paper>
		</Center>
	);
}

/** `/expired`: the session ended (logged out elsewhere, expired, or revoked). */
export function ExpiredPage() {
	return (
		<Center mih="70vh">
			<Paper withBorder p="xl" radius="lg" maw={440} w="100%">
				<Stack>
					<Title order={1} size="h2">
						Your session has ended
					</Title>
					<Text c="dimmed">You were logged out, or the login expired. Nothing unsaved was sent. Log in again to continue.</Text>
					<Button component="a" href={loginUrl()}>
						Log in again
					</Button>
				</Stack>
			</Paper>
		</Center>
	);
}

/** Any path the dashboard does not know. */
export function NotFoundPage() {
	return (
		<Center mih="60vh">
			<Stack align="center">
				<Title order={1} size="h2">
					Page not found
				</Title>
				<Anchor component={Link} to="/servers">
					Go to your servers
				</Anchor>
			</Stack>
		</Center>
	);
}
