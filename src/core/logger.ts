import pino, { type Logger, type LoggerOptions } from 'pino';

/** Paths pino replaces with `[redacted]` wherever they appear in a log object. */
export const REDACT_PATHS = [
	'token',
	'*.token',
	'*.*.token',
	'secret',
	'*.secret',
	'password',
	'*.password',
	'cookie',
	'*.cookie',
	'headers.authorization',
	'headers.cookie',
	'*.headers.authorization',
	'*.headers.cookie',
	'req.headers.authorization',
	'req.headers.cookie',
	'access_token',
	'refresh_token',
	'*.access_token',
	'*.refresh_token',
	'clientSecret',
	'*.clientSecret',
	'DISCORD_TOKEN',
	'DISCORD_CLIENT_SECRET',
	'DATABASE_URL',
	'*.DATABASE_URL'
];

// Discord bot tokens (three base64url parts), bearer/basic credentials and passwords inside URLs.
const SECRET_PATTERNS: [RegExp, string][] = [
	[/[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}/g, '[redacted-token]'],
	[/\b(Bot|Bearer|Basic)\s+[\w.~+/=-]{8,}/gi, '$1 [redacted]'],
	[/(\w+:\/\/[^:/\s]+:)[^@/\s]+@/g, '$1[redacted]@']
];

/** Removes anything shaped like a token or a credential from free text. */
export function scrubSecrets(text: string): string {
	let out = text;
	for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
	return out;
}

/** Options for {@link createLogger}. */
export interface LoggerConfig {
	level?: string;
	format?: 'auto' | 'json' | 'pretty';
	name?: string;
	/** Where JSON lines go; defaults to stdout. */
	destination?: pino.DestinationStream;
}

/** Creates the process logger: pretty on a terminal, JSON lines otherwise, secrets redacted. */
export function createLogger(config: LoggerConfig = {}): Logger {
	const pretty = config.format === 'pretty' || (config.format !== 'json' && process.stdout.isTTY === true);
	const options: LoggerOptions = {
		level: config.level ?? 'info',
		name: config.name ?? 'facet',
		redact: { paths: REDACT_PATHS, censor: '[redacted]' },
		serializers: {
			err: (error: unknown) => {
				const serialized = pino.stdSerializers.err(error as Error);
				if (serialized.message) serialized.message = scrubSecrets(serialized.message);
				if (serialized.stack) serialized.stack = scrubSecrets(serialized.stack);
				return serialized;
			}
		},
		hooks: {
			// Messages are free text: scrub them too, so a token pasted into a log call never leaves.
			logMethod(args, method) {
				const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg)) as Parameters<typeof method>;
				method.apply(this, scrubbed);
			}
		}
	};
	if (pretty && !config.destination) {
		return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
	}
	return pino(options, config.destination ?? pino.destination({ fd: 1, sync: false }));
}
