import { Alert, Avatar, Button, Group, Modal, Notification, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { type ReactNode, useEffect, useState, useSyncExternalStore } from 'react';
import { useBlocker } from 'react-router';
import { avatarUrl, describeError, guildIconUrl } from '../api.ts';

/* Small pieces every page uses: toasts, avatars, confirmations, the save bar, loading and empty states. */

interface Toast {
	id: number;
	color: 'red' | 'green' | 'blue';
	title: string;
	message: string;
}

let toasts: Toast[] = [];
let nextToast = 1;
const toastListeners = new Set<() => void>();
const emit = () => {
	for (const listener of toastListeners) listener();
};

/** Shows a message for a few seconds (errors stay twice as long). */
export function notify(color: Toast['color'], title: string, message: string): void {
	const toast = { id: nextToast++, color, title, message };
	toasts = [...toasts, toast];
	emit();
	setTimeout(
		() => {
			toasts = toasts.filter((t) => t.id !== toast.id);
			emit();
		},
		color === 'red' ? 8_000 : 4_000
	);
}

/** Where toasts appear (once, in the shell). A live region, so screen readers announce them. */
export function Toasts() {
	const list = useSyncExternalStore(
		(listener) => {
			toastListeners.add(listener);
			return () => toastListeners.delete(listener);
		},
		() => toasts
	);
	return (
		<Stack
			gap="xs"
			style={{ position: 'fixed', right: 16, bottom: 16, zIndex: 1000, maxWidth: 'min(420px, calc(100vw - 32px))' }}
			aria-live="polite"
		>
			{list.map((toast) => (
				<Notification
					key={toast.id}
					color={toast.color}
					title={toast.title}
					withCloseButton
					closeButtonProps={{ 'aria-label': 'Dismiss' }}
					onClose={() => {
						toasts = toasts.filter((t) => t.id !== toast.id);
						emit();
					}}
					role={toast.color === 'red' ? 'alert' : 'status'}
				>
					{toast.message}
				</Notification>
			))}
		</Stack>
	);
}

/** A member's avatar: their Discord image, or their initials (Discord's default needs the CDN; this works offline). */
export function UserAvatar({ userId, hash, name, size = 32 }: { userId: string; hash: string | null; name: string; size?: number }) {
	return (
		<Avatar src={avatarUrl(userId, hash, size * 2)} alt={name} name={name} color="initials" size={size} radius="xl">
			{null}
		</Avatar>
	);
}

/** A server's icon, or its initials like Discord's server list. */
export function GuildIcon({ id, icon, name, size = 48 }: { id: string; icon: string | null; name: string; size?: number }) {
	return <Avatar src={guildIconUrl(id, icon, size * 2)} alt={name} name={name} color="initials" size={size} radius="lg" />;
}

/** Placeholder rows while a list loads. */
export function ListSkeleton({ rows = 5, height = 44 }: { rows?: number; height?: number }) {
	return (
		<Stack gap="xs" aria-busy="true" aria-label="Loading">
			{Array.from({ length: rows }, (_, i) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
				<Skeleton key={i} height={height} radius="md" />
			))}
		</Stack>
	);
}

/** What a page shows when there is nothing to list yet. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
	return (
		<Paper withBorder p="xl" radius="md" ta="center">
			<Title order={3} size="h4" mb="xs">
				{title}
			</Title>
			{children ? (
				<Text c="dimmed" size="sm" component="div">
					{children}
				</Text>
			) : null}
		</Paper>
	);
}

/** A failed load, with a retry. */
export function LoadError({ error, retry }: { error: unknown; retry?: () => void }) {
	return (
		<Alert color="red" title="Could not load this" role="alert">
			<Stack gap="xs" align="flex-start">
				<Text size="sm">{describeError(error)}</Text>
				{retry ? (
					<Button size="xs" variant="light" color="red" onClick={retry}>
						Try again
					</Button>
				) : null}
			</Stack>
		</Alert>
	);
}

/** Options of {@link ConfirmDialog}. */
export interface ConfirmRequest {
	title: string;
	message: ReactNode;
	confirmLabel: string;
	/** Red for anything that removes or undoes. */
	danger?: boolean;
	onConfirm: () => Promise<unknown> | unknown;
}

/** The confirmation every destructive or point-changing action goes through. */
export function ConfirmDialog({ request: open, onClose }: { request: ConfirmRequest | null; onClose: () => void }) {
	const [busy, setBusy] = useState(false);
	// The last request stays rendered while the dialog animates closed, so it keeps its title (its accessible name).
	const [request, setRequest] = useState(open);
	if (open && open !== request) setRequest(open);
	return (
		<Modal opened={open !== null} onClose={onClose} title={request?.title} centered closeButtonProps={{ 'aria-label': 'Cancel' }}>
			{request ? (
				<Stack>
					<Text size="sm" component="div">
						{request.message}
					</Text>
					<Group justify="flex-end">
						<Button variant="default" onClick={onClose} disabled={busy}>
							Cancel
						</Button>
						<Button
							// red.9: white on Mantine's default red (or red.5 in the dark scheme) is below WCAG AA contrast.
							color={request.danger ? 'red.9' : undefined}
							loading={busy}
							onClick={async () => {
								setBusy(true);
								try {
									await request.onConfirm();
									onClose();
								} catch (error) {
									notify('red', 'That did not work', describeError(error));
								} finally {
									setBusy(false);
								}
							}}
						>
							{request.confirmLabel}
						</Button>
					</Group>
				</Stack>
			) : null}
		</Modal>
	);
}

/** Asks before leaving a page with unsaved changes: in-app navigation through a dialog, closing the tab natively. */
export function useLeaveGuard(dirty: boolean) {
	const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
	useEffect(() => {
		if (!dirty) return;
		const warn = (event: BeforeUnloadEvent) => event.preventDefault();
		window.addEventListener('beforeunload', warn);
		return () => window.removeEventListener('beforeunload', warn);
	}, [dirty]);
	return (
		<Modal opened={blocker.state === 'blocked'} onClose={() => blocker.reset?.()} title="Leave without saving?" centered>
			<Stack>
				<Text size="sm">You have unsaved changes on this page. If you leave now they are lost.</Text>
				<Group justify="flex-end">
					<Button variant="default" onClick={() => blocker.reset?.()}>
						Stay
					</Button>
					<Button color="red.9" onClick={() => blocker.proceed?.()}>
						Leave and discard
					</Button>
				</Group>
			</Stack>
		</Modal>
	);
}

/** The bar that appears while a form has unsaved changes. */
export function SaveBar({ count, saving, onSave, onReset }: { count: number; saving: boolean; onSave: () => void; onReset: () => void }) {
	if (count === 0) return null;
	return (
		<Paper className="save-bar" shadow="lg" p="sm" radius="md" withBorder role="region" aria-label="Unsaved changes">
			<Group justify="space-between" wrap="wrap" gap="xs">
				<Text size="sm" fw={500}>
					Careful — you have {count} unsaved {count === 1 ? 'change' : 'changes'}!
				</Text>
				<Group gap="xs">
					<Button variant="subtle" onClick={onReset} disabled={saving}>
						Reset
					</Button>
					<Button color="#248046" onClick={onSave} loading={saving}>
						Save changes
					</Button>
				</Group>
			</Group>
		</Paper>
	);
}
