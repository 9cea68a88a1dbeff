import { Group, SegmentedControl, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { ApiError } from '../api.ts';
import { EmptyState, LoadError } from './ui.tsx';

/** The dailies pages' header: a switch between feeds and daily posts, and the page's own actions. */
export function DailiesHeader({ guildId, current, actions }: { guildId: string; current: 'feeds' | 'posts'; actions?: ReactNode }) {
	const navigate = useNavigate();
	return (
		<Group justify="space-between" wrap="wrap" gap="sm">
			<Group gap="md" wrap="wrap">
				<Title order={2} size="h3">
					{current === 'feeds' ? 'Feeds' : 'Daily posts'}
				</Title>
				<SegmentedControl
					aria-label="Dailies section"
					value={current}
					onChange={(value) => navigate(`/servers/${guildId}/dailies${value === 'posts' ? '/posts' : ''}`)}
					data={[
						{ value: 'feeds', label: 'Feeds' },
						{ value: 'posts', label: 'Daily posts' }
					]}
				/>
			</Group>
			{actions ? <Group gap="xs">{actions}</Group> : null}
		</Group>
	);
}

/** A dailies list that failed: "switched off" is a state, not an error; anything else offers a retry. */
export function DailiesLoadError({ error, retry }: { error: unknown; retry: () => void }) {
	if (error instanceof ApiError && error.body.error === 'plugin_disabled') {
		return (
			<EmptyState title="Dailies is off in this server">Switch it on in the overview to follow feeds and schedule daily posts.</EmptyState>
		);
	}
	return <LoadError error={error} retry={retry} />;
}
