import { Badge, Group, Paper, Stack, Switch, Text, Title } from '@mantine/core';
import { describeError, usePlugins, useSwitchPlugin } from '../api.ts';
import { useGuildContext } from '../components/layout.tsx';
import { ListSkeleton, LoadError, notify } from '../components/ui.tsx';

/** The server's plugins, each with its switch (applied at once, rolled back with a message if refused). */
export function OverviewPage() {
	const { guild } = useGuildContext();
	const plugins = usePlugins(guild.id);
	const toggle = useSwitchPlugin(guild.id);
	if (plugins.isPending) return <ListSkeleton rows={3} height={72} />;
	if (plugins.isError) return <LoadError error={plugins.error} retry={() => plugins.refetch()} />;
	return (
		<Stack>
			<Title order={2} size="h3">
				Plugins
			</Title>
			{plugins.data.plugins.map((plugin) => (
				<Paper key={plugin.name} withBorder p="md" radius="md">
					<Group justify="space-between" wrap="nowrap" align="flex-start">
						<Stack gap={4} style={{ minWidth: 0 }}>
							<Group gap="xs">
								<Text fw={600} tt="capitalize" id={`plugin-${plugin.name}`}>
									{plugin.name}
								</Text>
								{plugin.required ? (
									<Badge size="xs" variant="light" color="gray">
										always on
									</Badge>
								) : null}
							</Group>
							<Text size="sm" c="dimmed">
								{plugin.description}
							</Text>
						</Stack>
						<Switch
							size="md"
							checked={plugin.enabled}
							disabled={plugin.required}
							aria-labelledby={`plugin-${plugin.name}`}
							onChange={(event) => {
								const enabled = event.currentTarget.checked;
								toggle.mutate(
									{ plugin: plugin.name, enabled },
									{
										onSuccess: () =>
											notify('green', `${plugin.name} is ${enabled ? 'on' : 'off'}`, 'Saved. Commands update in Discord shortly.'),
										onError: (error) => notify('red', `Could not switch ${plugin.name} ${enabled ? 'on' : 'off'}`, describeError(error))
									}
								);
							}}
						/>
					</Group>
				</Paper>
			))}
		</Stack>
	);
}
