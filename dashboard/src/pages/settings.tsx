import type { GuildDetail, JsonSchema } from '@facet/api';
import { MultiSelect, NumberInput, Paper, SegmentedControl, Select, Stack, Switch, Textarea, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ApiError, describeError, usePlugins, useSaveSettings, useSettings, useTimeZones } from '../api.ts';
import { channelOptions } from '../components/channels.ts';
import { useGuildContext } from '../components/layout.tsx';
import { EmptyState, ListSkeleton, LoadError, notify, SaveBar, useLeaveGuard } from '../components/ui.tsx';

/*
 * One form per plugin, built from the settings schema the API sends (types, bounds, choices, defaults). Ids of
 * channels and roles get pickers fed by `GET /guilds/:guild`; time zones come from `GET /time-zones`.
 */

type Kind = 'channel' | 'channels' | 'role' | 'roles' | 'timezone' | 'choice' | 'boolean' | 'number' | 'text' | 'longtext' | 'json';

/** The schema without its `null` alternative (`anyOf` or a `type` list, as zod writes either), and whether null is allowed. */
function unwrapNullable(schema: JsonSchema): { schema: JsonSchema; nullable: boolean } {
	if (Array.isArray(schema.type)) {
		const types = schema.type.filter((type) => type !== 'null');
		return { schema: { ...schema, type: types.length === 1 ? types[0] : types }, nullable: types.length < schema.type.length };
	}
	const options = schema.anyOf;
	if (!options) return { schema, nullable: false };
	const rest = options.filter((option) => option.type !== 'null');
	return { schema: { ...schema, ...(rest[0] ?? {}), anyOf: undefined }, nullable: rest.length < options.length };
}

/** Which input a setting gets. Discord ids are named after what they point at (`…Channel`, `…Roles`). */
export function kindOf(key: string, raw: JsonSchema): Kind {
	const { schema } = unwrapNullable(raw);
	if (schema.type === 'array' && schema.items?.type === 'string') {
		if (/channels$/i.test(key)) return 'channels';
		if (/roles$/i.test(key)) return 'roles';
	}
	if (schema.type === 'string') {
		if (/channel$/i.test(key)) return 'channel';
		if (/role$/i.test(key)) return 'role';
		if (/^time_?zone$|timezone$/i.test(key)) return 'timezone';
		if (schema.enum) return 'choice';
		return (schema.maxLength ?? 0) > 200 ? 'longtext' : 'text';
	}
	if (schema.enum) return 'choice';
	if (schema.type === 'boolean') return 'boolean';
	if (schema.type === 'integer' || schema.type === 'number') return 'number';
	return 'json';
}

/** `welcomeChannel` → `Welcome channel`. */
const labelOf = (key: string) =>
	key
		.replace(/([a-z0-9])([A-Z])/g, '$1 $2')
		.replace(/^./, (c) => c.toUpperCase())
		.replace(/ ([A-Z])(?=[a-z])/g, (m) => m.toLowerCase());

const roleOptions = (guild: GuildDetail) =>
	guild.roles.filter((role) => !role.managed).map((role) => ({ value: role.id, label: `@${role.name}` }));

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

interface FieldProps {
	name: string;
	kind: Kind;
	schema: JsonSchema;
	value: unknown;
	error: string | undefined;
	guild: GuildDetail;
	timeZones: string[];
	onChange: (value: unknown) => void;
}

function SettingField({ name, kind, schema: raw, value, error, guild, timeZones, onChange }: FieldProps) {
	const { schema, nullable } = unwrapNullable(raw);
	const label = labelOf(name);
	const common = { label, description: schema.description, error, id: `setting-${name}` };
	switch (kind) {
		case 'channel':
		case 'role':
			return (
				<Select
					{...common}
					data={kind === 'channel' ? channelOptions(guild, true) : roleOptions(guild)}
					value={(value as string | null) ?? null}
					onChange={(next) => onChange(next)}
					clearable={nullable}
					searchable
					placeholder={nullable ? 'Not set' : 'Pick one'}
					nothingFoundMessage="Nothing matches"
				/>
			);
		case 'channels':
		case 'roles':
			return (
				<MultiSelect
					{...common}
					data={kind === 'channels' ? channelOptions(guild, false) : roleOptions(guild)}
					value={(value as string[]) ?? []}
					onChange={onChange}
					searchable
					clearable
					placeholder="None"
					maxValues={schema.maxItems}
				/>
			);
		case 'timezone':
			return (
				<Select
					{...common}
					data={timeZones.length ? timeZones : [String(value ?? 'UTC')]}
					value={(value as string) ?? null}
					onChange={(next) => next && onChange(next)}
					searchable
					limit={50}
					nothingFoundMessage="No such time zone"
				/>
			);
		case 'choice':
			return (
				<Select
					{...common}
					data={(schema.enum ?? []).map(String)}
					value={value === null || value === undefined ? null : String(value)}
					onChange={(next) => onChange(next)}
					clearable={nullable}
					searchable
				/>
			);
		case 'boolean':
			return <Switch {...common} checked={value === true} onChange={(event) => onChange(event.currentTarget.checked)} />;
		case 'number':
			return (
				<NumberInput
					{...common}
					value={typeof value === 'number' ? value : ''}
					min={schema.minimum}
					max={schema.maximum}
					allowDecimal={schema.type !== 'integer'}
					onChange={(next) => onChange(typeof next === 'number' ? next : next === '' ? null : Number(next))}
				/>
			);
		case 'longtext':
			return (
				<Textarea
					{...common}
					value={String(value ?? '')}
					autosize
					minRows={2}
					maxLength={schema.maxLength}
					onChange={(e) => onChange(e.currentTarget.value)}
				/>
			);
		case 'text':
			return (
				<TextInput {...common} value={String(value ?? '')} maxLength={schema.maxLength} onChange={(e) => onChange(e.currentTarget.value)} />
			);
		default:
			return (
				<Textarea
					{...common}
					value={JSON.stringify(value)}
					autosize
					onChange={(e) => {
						try {
							onChange(JSON.parse(e.currentTarget.value));
						} catch {
							// Keep the last valid value until the JSON parses again.
						}
					}}
				/>
			);
	}
}

/** `/servers/:id/settings/:plugin`: a plugin's settings, with a save bar sending only what changed. */
export function SettingsPage() {
	const { guild } = useGuildContext();
	const { plugin: param } = useParams();
	const navigate = useNavigate();
	const plugins = usePlugins(guild.id);
	const plugin = param ?? 'config';
	const settings = useSettings(guild.id, plugin);
	const timeZones = useTimeZones();
	const save = useSaveSettings(guild.id, plugin);
	const [draft, setDraft] = useState<Record<string, unknown>>({});
	const [errors, setErrors] = useState<Record<string, string>>({});
	const [draftFor, setDraftFor] = useState(plugin);
	if (draftFor !== plugin) {
		setDraftFor(plugin);
		setDraft({});
		setErrors({});
	}

	const stored = settings.data?.settings ?? {};
	const changed = Object.keys(draft).filter((key) => !same(draft[key], stored[key]));
	const leaveGuard = useLeaveGuard(changed.length > 0);

	const onSave = () => {
		const patch = Object.fromEntries(changed.map((key) => [key, draft[key] === undefined ? null : draft[key]]));
		save.mutate(patch, {
			onSuccess: () => {
				setDraft({});
				setErrors({});
				notify('green', 'Settings saved', `${changed.length} ${changed.length === 1 ? 'setting' : 'settings'} changed.`);
			},
			onError: (error) => {
				if (error instanceof ApiError && error.status === 400 && error.body.fields) {
					const next: Record<string, string> = {};
					for (const [path, messages] of Object.entries(error.fields)) next[path.split('.')[0]!] = messages.join(', ');
					setErrors(next);
					notify('red', 'Some settings were not accepted', 'Nothing was saved. See the messages beside the fields.');
				} else notify('red', 'Could not save', describeError(error));
			}
		});
	};

	const withSettings = (plugins.data?.plugins ?? []).filter((p) => p.enabled || p.name === plugin);
	return (
		<Stack>
			{leaveGuard}
			<Title order={2} size="h3">
				Settings
			</Title>
			{withSettings.length > 1 ? (
				<SegmentedControl
					value={plugin}
					onChange={(value) => navigate(`/servers/${guild.id}/settings/${value}`)}
					data={withSettings.map((p) => ({ value: p.name, label: labelOf(p.name) }))}
					aria-label="Plugin"
				/>
			) : null}
			{settings.isPending ? (
				<ListSkeleton rows={6} height={56} />
			) : settings.isError ? (
				settings.error instanceof ApiError && settings.error.body.error === 'plugin_disabled' ? (
					<EmptyState title={`${labelOf(plugin)} is off in this server`}>Switch it on in the overview to change its settings.</EmptyState>
				) : (
					<LoadError error={settings.error} retry={() => settings.refetch()} />
				)
			) : !settings.data.schema?.properties ? (
				<EmptyState title="Nothing to set">This plugin has no settings.</EmptyState>
			) : (
				<Paper withBorder p="md" radius="md">
					<Stack>
						{Object.entries(settings.data.schema.properties).map(([key, schema]) => (
							<SettingField
								key={key}
								name={key}
								kind={kindOf(key, schema)}
								schema={schema}
								value={key in draft ? draft[key] : stored[key]}
								error={errors[key]}
								guild={guild}
								timeZones={timeZones.data?.timeZones ?? []}
								onChange={(value) => {
									setDraft((old) => ({ ...old, [key]: value }));
									setErrors(({ [key]: _, ...rest }) => rest);
								}}
							/>
						))}
					</Stack>
				</Paper>
			)}
			<SaveBar
				count={changed.length}
				saving={save.isPending}
				onSave={onSave}
				onReset={() => {
					setDraft({});
					setErrors({});
				}}
			/>
		</Stack>
	);
}
