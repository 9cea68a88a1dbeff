/**
 * What the bot sent, counted against Discord's limits: REST requests with the busiest second (the global limit is
 * 50 requests/s), and gateway payloads per connection with the busiest 60-second window (the limit is 120 sends
 * per 60 s per connection). `GET /_emulator/state` shows {@link TrafficCounts}; `DELETE /_emulator/traffic` starts
 * a new count, so a test measures only the phase it cares about.
 */
export interface TrafficCounts {
	rest_requests: number;
	/** Most REST requests seen within any 1-second window. */
	rest_peak_per_second: number;
	gateway_sends: number;
	/** Gateway sends per opcode (`"8"`: REQUEST_GUILD_MEMBERS, …). */
	gateway_sends_by_op: Record<string, number>;
	/** Most sends one connection made within any 60-second window. */
	gateway_peak_per_minute: number;
}

/** Sliding-window counter: the largest number of events seen within `windowMs`. */
class PeakWindow {
	readonly #windowMs: number;
	readonly #times: number[] = [];
	#start = 0;
	peak = 0;

	constructor(windowMs: number) {
		this.#windowMs = windowMs;
	}

	note(now: number): void {
		this.#times.push(now);
		while (this.#times[this.#start]! <= now - this.#windowMs) this.#start++;
		// Compact now and then so a long run does not keep every timestamp.
		if (this.#start > 4096) {
			this.#times.splice(0, this.#start);
			this.#start = 0;
		}
		this.peak = Math.max(this.peak, this.#times.length - this.#start);
	}
}

/** Counts the bot's REST requests and gateway sends (see {@link TrafficCounts}). */
export class Traffic {
	#restRequests = 0;
	#rest = new PeakWindow(1_000);
	#gatewaySends = 0;
	#byOp: Record<string, number> = {};
	#connections = new WeakMap<object, PeakWindow>();
	#gatewayPeak = 0;

	/** One REST request reached a route. */
	noteRest(now = Date.now()): void {
		this.#restRequests++;
		this.#rest.note(now);
	}

	/** One payload arrived on a gateway connection (`connection` is any object identifying it). */
	noteGatewaySend(connection: object, op: unknown, now = Date.now()): void {
		this.#gatewaySends++;
		const key = String(op);
		this.#byOp[key] = (this.#byOp[key] ?? 0) + 1;
		let window = this.#connections.get(connection);
		if (!window) {
			window = new PeakWindow(60_000);
			this.#connections.set(connection, window);
		}
		window.note(now);
		this.#gatewayPeak = Math.max(this.#gatewayPeak, window.peak);
	}

	/** Starts a new count. */
	reset(): void {
		this.#restRequests = 0;
		this.#rest = new PeakWindow(1_000);
		this.#gatewaySends = 0;
		this.#byOp = {};
		this.#connections = new WeakMap();
		this.#gatewayPeak = 0;
	}

	counts(): TrafficCounts {
		return {
			rest_requests: this.#restRequests,
			rest_peak_per_second: this.#rest.peak,
			gateway_sends: this.#gatewaySends,
			gateway_sends_by_op: { ...this.#byOp },
			gateway_peak_per_minute: this.#gatewayPeak
		};
	}
}
