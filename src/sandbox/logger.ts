/** The logging surface the emulator needs; pino, console or a test spy all fit. */
export interface EmulatorLogger {
	info(...args: unknown[]): void;
	warn(...args: unknown[]): void;
	error(...args: unknown[]): void;
	debug(...args: unknown[]): void;
}

const noop = (): void => {};

/** Default logger: silent, so tests and embedding apps get no console noise. */
export const silentLogger: EmulatorLogger = { info: noop, warn: noop, error: noop, debug: noop };
