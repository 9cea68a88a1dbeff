/** Fault kinds the control API can inject. */
export type FaultKind =
	| 'rest_429'
	| 'rest_500'
	| 'rest_error'
	| 'gateway_disconnect'
	| 'gateway_invalid_session'
	| 'gateway_refuse_identify'
	| 'gateway_zombie';

/** A pending REST fault. */
export interface RestFault {
	kind: 'rest_429' | 'rest_500' | 'rest_error';
	remaining: number;
	/** Only REST calls whose path contains this string are hit. */
	route: string | undefined;
	/** Seconds, for 429s. */
	retryAfter: number;
	/** For 429s: `X-RateLimit-Scope` (`shared` ones do not count as invalid requests). @default 'user' */
	scope?: 'user' | 'shared';
	/** For `rest_error`: the HTTP status and Discord's JSON error code (e.g. 403 and 50001 Missing Access). */
	status?: number;
	code?: number;
}

/** Queue of armed REST faults; gateway faults act at once and are not queued. */
export class FaultInjector {
	readonly #pending: RestFault[] = [];

	/** Arms `count` faults of one kind. */
	arm(fault: RestFault): void {
		this.#pending.push(fault);
	}

	/** Takes one fault matching this request path, if any is armed. */
	take(path: string): RestFault | undefined {
		const index = this.#pending.findIndex((f) => f.route === undefined || path.includes(f.route));
		if (index === -1) return undefined;
		const fault = this.#pending[index];
		if (!fault) return undefined;
		fault.remaining--;
		if (fault.remaining <= 0) this.#pending.splice(index, 1);
		return fault;
	}

	/** Faults still waiting to fire. */
	pending(): number {
		return this.#pending.reduce((sum, f) => sum + f.remaining, 0);
	}

	/** Disarms everything. */
	clear(): void {
		this.#pending.length = 0;
	}
}
