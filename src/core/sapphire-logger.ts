import { type ILogger, LogLevel } from '@sapphire/framework';
import type { Logger } from 'pino';

const LEVEL_NAMES: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
	[LogLevel.Trace]: 'trace',
	[LogLevel.Debug]: 'debug',
	[LogLevel.Info]: 'info',
	[LogLevel.Warn]: 'warn',
	[LogLevel.Error]: 'error',
	[LogLevel.Fatal]: 'fatal'
};

/** Routes Sapphire's logger into pino, so the framework's lines get the same format and redaction. */
export class PinoSapphireLogger implements ILogger {
	readonly #pino: Logger;

	public constructor(pino: Logger) {
		this.#pino = pino.child({ source: 'sapphire' });
	}

	public has(level: LogLevel): boolean {
		const name = LEVEL_NAMES[level];
		return name !== undefined && this.#pino.isLevelEnabled(name);
	}

	public write(level: LogLevel, ...values: readonly unknown[]): void {
		const name = LEVEL_NAMES[level];
		if (!name) return;
		const error = values.find((value): value is Error => value instanceof Error);
		const text = values
			.filter((value) => !(value instanceof Error))
			.map((value) => (typeof value === 'string' ? value : JSON.stringify(value)))
			.join(' ');
		if (error) this.#pino[name]({ err: error }, text || error.message);
		else this.#pino[name](text);
	}

	public trace(...values: readonly unknown[]): void {
		this.write(LogLevel.Trace, ...values);
	}
	public debug(...values: readonly unknown[]): void {
		this.write(LogLevel.Debug, ...values);
	}
	public info(...values: readonly unknown[]): void {
		this.write(LogLevel.Info, ...values);
	}
	public warn(...values: readonly unknown[]): void {
		this.write(LogLevel.Warn, ...values);
	}
	public error(...values: readonly unknown[]): void {
		this.write(LogLevel.Error, ...values);
	}
	public fatal(...values: readonly unknown[]): void {
		this.write(LogLevel.Fatal, ...values);
	}
}
