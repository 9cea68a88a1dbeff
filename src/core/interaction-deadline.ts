import { MessageFlags, type RepliableInteraction } from 'discord.js';

/** Defaults of {@link armDeferDeadline}. */
export const DefaultDeadlineOptions = {
	/**
	 * Discord forgets an interaction not acknowledged within 3 s (10062 Unknown interaction). A command still working
	 * after this long is deferred for it, leaving room for the defer's own round trip.
	 */
	deferAfterMs: 2_000
};

/** Options of {@link armDeferDeadline}. */
export interface DeadlineOptions {
	deferAfterMs?: number;
	/** Whether the automatic deferral is ephemeral; its later reply cannot change that. @default true */
	ephemeral?: boolean;
	/** Called when the automatic deferral fails (the interaction may already be gone). */
	onError?: (error: unknown) => void;
}

type ReplyArgument = Parameters<RepliableInteraction['reply']>[0];
type EditArgument = Parameters<RepliableInteraction['editReply']>[0];

/** A reply's options as an edit of the deferred reply: the flags and response options an edit does not take are dropped. */
function asEdit(options: ReplyArgument): EditArgument {
	if (typeof options === 'string') return options;
	const {
		flags,
		ephemeral: _ephemeral,
		fetchReply: _fetchReply,
		withResponse: _withResponse,
		...rest
	} = options as Record<string, unknown>;
	const kept = typeof flags === 'number' ? flags & ~MessageFlags.Ephemeral : undefined;
	return (kept ? { ...rest, flags: kept } : rest) as EditArgument;
}

/**
 * Makes sure an interaction is acknowledged in time without each command having to: when it is neither replied to
 * nor deferred after `deferAfterMs`, it is deferred, and the command's own `reply()` from then on edits that
 * deferred reply (its `deferReply()` becomes a no-op). A reply or deferral already on its way is never raced.
 * Returns a function that disarms the timer.
 */
export function armDeferDeadline(interaction: RepliableInteraction, options: DeadlineOptions = {}): () => void {
	const afterMs = options.deferAfterMs ?? DefaultDeadlineOptions.deferAfterMs;
	const ephemeral = options.ephemeral ?? true;
	const reply = interaction.reply.bind(interaction);
	const deferReply = interaction.deferReply.bind(interaction);
	const showModal = 'showModal' in interaction ? interaction.showModal.bind(interaction) : null;
	/** Set once anything acknowledges the interaction (the command, an error renderer, or the deadline). */
	let acknowledging = false;
	let autoDeferred: Promise<unknown> | null = null;

	const timer = setTimeout(() => {
		if (acknowledging || interaction.deferred || interaction.replied) return;
		acknowledging = true;
		autoDeferred = deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {}).catch((error: unknown) => options.onError?.(error));
	}, afterMs);
	timer.unref?.();

	Object.assign(interaction, {
		async reply(replyOptions: ReplyArgument) {
			clearTimeout(timer);
			acknowledging = true;
			if (autoDeferred) {
				await autoDeferred;
				if (interaction.deferred) return interaction.editReply(asEdit(replyOptions));
			}
			return reply(replyOptions as never);
		},
		async deferReply(deferOptions?: Parameters<RepliableInteraction['deferReply']>[0]) {
			clearTimeout(timer);
			acknowledging = true;
			if (autoDeferred) {
				await autoDeferred;
				if (interaction.deferred) return undefined;
			}
			return deferReply(deferOptions as never);
		},
		...(showModal
			? {
					async showModal(...args: Parameters<NonNullable<typeof showModal>>) {
						clearTimeout(timer);
						acknowledging = true;
						return showModal(...args);
					}
				}
			: {})
	});
	return () => clearTimeout(timer);
}
