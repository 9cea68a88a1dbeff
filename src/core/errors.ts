import { UserError } from '@sapphire/framework';

/** Stable identifiers of the errors a user can see. One listener renders them (src/listeners/commandErrors.ts). */
export const FacetIdentifiers = {
	PluginDisabled: 'pluginDisabled',
	PluginRequired: 'pluginRequired',
	UnknownPlugin: 'unknownPlugin',
	InvalidSettings: 'invalidSettings',
	UnknownAuditEntry: 'unknownAuditEntry',
	GuildOnly: 'guildOnly'
} as const;

/** A user-facing error with an identifier and context; never carries internals. */
export class FacetError extends UserError {
	public constructor(
		identifier: (typeof FacetIdentifiers)[keyof typeof FacetIdentifiers],
		message: string,
		context: Record<string, unknown> = {}
	) {
		super({ identifier, message, context });
	}
}

/** Field errors of a rejected settings write: path → messages. */
export type FieldErrors = Record<string, string[]>;

/** Thrown when a settings write does not pass the plugin's schema; nothing was written. */
export class SettingsValidationError extends FacetError {
	public readonly fields: FieldErrors;

	public constructor(plugin: string, fields: FieldErrors) {
		const summary = Object.entries(fields)
			.map(([path, messages]) => `${path}: ${messages.join(', ')}`)
			.join('; ');
		super(FacetIdentifiers.InvalidSettings, `Invalid ${plugin} settings — ${summary}`, { plugin, fields });
		this.fields = fields;
	}
}

/** The text a user sees for an error: a user error's own message, or a generic line for anything unexpected. */
export function renderUserError(error: unknown): string {
	if (error instanceof UserError || (typeof error === 'object' && error !== null && 'identifier' in error)) {
		const message = (error as UserError).message;
		if (message) return message;
	}
	return 'Something went wrong while running this command. It has been logged; please try again later.';
}
