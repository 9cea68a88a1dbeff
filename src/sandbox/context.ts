import type { SandboxActions } from './actions.ts';
import type { FaultInjector } from './faults.ts';
import type { Gateway } from './gateway.ts';
import type { InteractionStore } from './interactions.ts';
import type { EmulatorLogger } from './logger.ts';
import type { OAuthStore } from './oauth.ts';
import type { RestLimits } from './rest-limits.ts';
import type { SandboxState } from './state.ts';
import type { Traffic } from './traffic.ts';

/** Request counters, readable by tests as `emulator.stats`. */
export interface EmulatorStats {
	identifies: number;
	resumes: number;
	restRequests: number;
	/** Requests per route key (`GET /channels/{channel_id}/messages`), faulted ones included. */
	restByRoute: Record<string, number>;
	/** 429 answers served (injected or from real bucket exhaustion). */
	rateLimited: number;
	/** 5xx answers served by fault injection. */
	serverErrors: number;
}

/** Settings REST handlers and the control API read. */
export interface ContextSettings {
	clientSecret: string;
	replyTimeoutMs: number;
	recommendedShards: number;
	/** Privileged intents switched on for the application (the developer portal's switches). */
	allowedPrivilegedIntents: number;
}

/** Shared services of one emulator instance, handed to REST handlers, OAuth and the control API. */
export interface SandboxContext {
	readonly state: SandboxState;
	readonly actions: SandboxActions;
	readonly gateway: Gateway;
	readonly interactions: InteractionStore;
	readonly oauth: OAuthStore;
	readonly faults: FaultInjector;
	/** The global REST limit and the invalid-request ban. */
	readonly restLimits: RestLimits;
	readonly stats: EmulatorStats;
	readonly traffic: Traffic;
	readonly settings: ContextSettings;
	readonly logger: EmulatorLogger;
	readonly applicationId: string;
	readonly botUserId: string;
	readonly botToken: string;
	gatewayUrl(): string;
	baseUrl(): string;
	/** The emulator's clock (`EmulatorOptions.clock`): deadlines, token expiry and limits read it. */
	now(): number;
}
