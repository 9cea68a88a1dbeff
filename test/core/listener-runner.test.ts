import { EventEmitter, once } from 'node:events';
import { container, Events, Listener, ListenerStore } from '@sapphire/framework';
import { afterEach, describe, expect, it } from 'vitest';
import { installListenerRunner } from '../../src/core/listener-runner.ts';
import { installPluginGate } from '../../src/core/plugins/gate.ts';
import type { PluginManifest } from '../../src/core/plugins/manifest.ts';
import { PluginOwnership } from '../../src/core/plugins/ownership.ts';

type Run = (...args: unknown[]) => unknown;

/** A real Sapphire store and listener pieces on a plain emitter standing in for the client. */
function setup() {
	const client = new EventEmitter();
	// Sapphire reports listener errors on container.client: here the same emitter the listeners listen on.
	container.client = client as unknown as typeof container.client;
	const store = new ListenerStore();
	installListenerRunner(store);
	const make = (name: string, run: Run, options: Partial<Listener.Options> = {}) => {
		class TestListener extends Listener {
			public override run(...args: unknown[]) {
				return run(...args);
			}
		}
		return new TestListener({ name, root: '/', path: `/${name}.js`, store }, { emitter: client, event: 'thing', ...options });
	};
	return { client, store, make };
}

const previousClient = container.client;
afterEach(() => {
	container.client = previousClient;
});

describe('the listener runner', () => {
	it('GIVEN a synchronous listener THEN it runs with the event arguments, and stops once unloaded (hot reload)', async () => {
		const { client, store, make } = setup();
		const seen: unknown[][] = [];
		const piece = make('sync', (...args) => {
			seen.push(args);
		});
		await store.insert(piece);
		client.emit('thing', 1, 'two');
		expect(seen).toEqual([[1, 'two']]);
		await store.unload(piece);
		client.emit('thing', 3);
		expect(seen).toEqual([[1, 'two']]);
		expect(client.listenerCount('thing')).toBe(0);
	});

	it('GIVEN a listener that throws THEN the error reaches listenerError with the piece, and the emitter goes on', async () => {
		const { client, store, make } = setup();
		const piece = make('throws', () => {
			throw new Error('sync failure');
		});
		await store.insert(piece);
		const reported = once(client, Events.ListenerError);
		expect(() => client.emit('thing')).not.toThrow();
		const [error, context] = (await reported) as [Error, { piece: Listener }];
		expect(error.message).toBe('sync failure');
		expect(context.piece).toBe(piece);
	});

	it('GIVEN a listener whose promise rejects THEN the rejection reaches listenerError, not unhandledRejection', async () => {
		const { client, store, make } = setup();
		const piece = make('rejects', async () => {
			await new Promise((resolve) => setTimeout(resolve, 5));
			throw new Error('async failure');
		});
		await store.insert(piece);
		const reported = once(client, Events.ListenerError);
		client.emit('thing');
		const [error, context] = (await reported) as [Error, { piece: Listener }];
		expect(error.message).toBe('async failure');
		expect(context.piece).toBe(piece);
	});

	it('GIVEN a once listener THEN Sapphire runs it as before: one call, then the piece unloads itself', async () => {
		const { client, store, make } = setup();
		let calls = 0;
		const piece = make('once', () => void calls++, { once: true });
		await store.insert(piece);
		client.emit('thing');
		client.emit('thing');
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(calls).toBe(1);
		expect(store.has('once')).toBe(false);
	});

	it('GIVEN the plugin gate installed after the runner (as at boot) THEN a plugin listener runs only where its plugin is on', async () => {
		const { client, store, make } = setup();
		const enabled = new Set(['on-guild']);
		const skips: string[] = [];
		installPluginGate({
			stores: { get: (name) => (name === 'listeners' ? (store as never) : ({ insert: () => undefined } as never)) },
			ownership: new PluginOwnership([{ name: 'demo', directory: '/plugins/demo' } as PluginManifest]),
			switches: { isEnabled: (guildId, plugin) => plugin === 'demo' && enabled.has(guildId) },
			guildIds: () => [],
			onSkip: (plugin, kind) => skips.push(`${plugin}:${kind}`)
		});
		const seen: unknown[][] = [];
		class DemoListener extends Listener {
			public override run(...args: unknown[]) {
				seen.push(args);
			}
		}
		const piece = new DemoListener(
			{ name: 'demo', root: '/plugins/demo', path: '/plugins/demo/listeners/demo.js', store },
			{ emitter: client, event: 'thing' }
		);
		const core = make('core', (...args) => void seen.push(['core', ...args]));
		await store.insert(piece);
		await store.insert(core);
		client.emit('thing', { guildId: 'on-guild' }, 2);
		client.emit('thing', { guildId: 'off-guild' });
		client.emit('thing', { guildId: null });
		client.emit('thing', 'no guild at all');
		expect(seen).toEqual([
			[{ guildId: 'on-guild' }, 2],
			['core', { guildId: 'on-guild' }, 2],
			['core', { guildId: 'off-guild' }],
			['core', { guildId: null }],
			['no guild at all'],
			['core', 'no guild at all']
		]);
		expect(skips).toEqual(['demo:listener', 'demo:listener']);
		// Called directly, the piece's run is gated too.
		await piece.run({ guildId: 'off-guild' });
		expect(seen).toHaveLength(6);
	});
});
