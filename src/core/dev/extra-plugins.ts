import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginManifest } from '../plugins/manifest.ts';

function isManifest(value: unknown): value is PluginManifest {
	if (!value || typeof value !== 'object') return false;
	const candidate = value as Partial<PluginManifest>;
	return typeof candidate.name === 'string' && typeof candidate.directory === 'string' && typeof candidate.settings === 'object';
}

/**
 * Plugins loaded in addition to src/plugins/index.ts, from `FACET_EXTRA_PLUGINS`: comma-separated paths of
 * plugin entry modules (a plugin folder's `index.ts`), absolute or relative to the working directory. Every
 * exported manifest of each module is taken. Meant for developing a plugin that lives outside the repository
 * and for tests; a module that exports no manifest is an error.
 */
export async function loadExtraPlugins(list: string | undefined): Promise<PluginManifest[]> {
	if (!list) return [];
	const manifests: PluginManifest[] = [];
	for (const entry of list
		.split(',')
		.map((part) => part.trim())
		.filter(Boolean)) {
		const path = isAbsolute(entry) ? entry : resolve(entry);
		const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
		const found = Object.values(module).filter(isManifest);
		if (found.length === 0) throw new Error(`FACET_EXTRA_PLUGINS: ${path} exports no plugin manifest`);
		manifests.push(...found);
	}
	return manifests;
}
