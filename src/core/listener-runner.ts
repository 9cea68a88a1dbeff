import { Events, type Listener } from '@sapphire/framework';
import type { Store } from '@sapphire/pieces';
import { type ListenerGate, ListenerGateKey } from './plugins/gate.ts';

/** What this reads and replaces of a listener piece (`_listener` is private in Sapphire's types). */
interface RunnableListener {
	_listener: ((...args: unknown[]) => unknown) | null;
	once: boolean;
	run: (...args: unknown[]) => unknown;
	container: Listener['container'];
	/** Set by the plugin gate on a plugin's listener (see {@link ListenerGateKey}). */
	[ListenerGateKey]?: ListenerGate;
}

/**
 * Runs every (non-once) listener as Sapphire does — `run(...args)`, and a throw or a rejection reaches
 * `listenerError` with the piece — without Sapphire's two async wrappers per call: its `_run` awaits a
 * `Result.fromAsync`, which allocates promises and a result object for every event even when `run` is synchronous
 * (the mileage message listener, called for every MESSAGE_CREATE). A synchronous `run` now costs a call; a promise
 * returned by `run` gets one rejection handler. Sapphire attaches `_listener` to the emitter when the piece loads
 * and detaches the same function when it unloads, so the swap is made as the piece is inserted (hot reload too).
 */
export function installListenerRunner(store: Store<Listener> | undefined): void {
	if (!store) throw new Error('the listeners store does not exist yet: install the listener runner after the client is made');
	const insert = store.insert.bind(store);
	store.insert = (piece: Listener) => {
		const listener = piece as unknown as RunnableListener;
		if (listener._listener && !listener.once) {
			const fail = (error: unknown) => listener.container.client.emit(Events.ListenerError, error as Error, { piece });
			// A gated piece (the gate's insert ran first): its check and its own run, applied here in one call.
			const gate = listener[ListenerGateKey];
			listener._listener = (...args: unknown[]) => {
				let result: unknown;
				try {
					if (gate) {
						if (!gate.allows(args)) return;
						result = gate.run.apply(listener, args);
					} else result = listener.run(...args);
				} catch (error) {
					fail(error);
					return;
				}
				if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') (result as PromiseLike<unknown>).then(undefined, fail);
			};
		}
		return insert(piece);
	};
}
