import { plugins } from '../../plugins/index.ts';

/** Every entity the listed plugins bring, for the ORM's entity list. */
export function pluginEntities(): unknown[] {
	return plugins.flatMap((plugin) => plugin.entities);
}
