/**
 * The Facet Discord sandbox: a local Discord API v10 emulator (REST, gateway,
 * OAuth2) with a control API for tests and people. See src/sandbox/README.md.
 */

export type { EmulatorStats } from './context.ts';
export type { ControlReply, EmulatorSnapshot } from './control.ts';
export type { EmulatorOptions } from './emulator.ts';
export { DefaultEmulatorOptions, Emulator } from './emulator.ts';
export { ControlError, DiscordErrorCode } from './errors.ts';
export type { VisibleReply } from './interactions.ts';
export type { EmulatorLogger } from './logger.ts';
export type { HttpMethod, RouteDefinition } from './rest/routes.ts';
export { routeKey, routes } from './rest/routes.ts';
export type { SandboxSeed } from './seed.ts';
export { SANDBOX_APPLICATION_ID, SANDBOX_BOT_TOKEN, SANDBOX_CLIENT_SECRET, SANDBOX_SEED } from './seed.ts';
export { shardOf, snowflakeAt } from './snowflake.ts';
