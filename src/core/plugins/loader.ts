import { readFileSync } from 'node:fs';
import { findPackageJSON } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { appRoot } from '../paths.ts';
import type { PluginManifest } from './manifest.ts';

/** Thrown when a plugin named in FACET_PLUGINS cannot be loaded; the message says which and why. */
export class PluginLoadError extends Error {
	public constructor(message: string) {
		super(message);
		this.name = 'PluginLoadError';
	}
}

/** True for an object shaped like a {@link PluginManifest} (a package may not share our `definePlugin`). */
export function isManifest(value: unknown): value is PluginManifest {
	if (!value || typeof value !== 'object') return false;
	const candidate = value as Partial<PluginManifest>;
	return (
		typeof candidate.name === 'string' &&
		typeof candidate.directory === 'string' &&
		typeof candidate.settings === 'object' &&
		Array.isArray(candidate.entities)
	);
}

const looksLikePath = (entry: string) => entry.startsWith('.') || isAbsolute(entry) || /\.(?:[cm]?[jt]s)$/.test(entry);

/** The entry file of an installed package, from its package.json (`exports['.']` import/default, else `main`). */
function packageEntry(name: string, bases: string[]): string {
	for (const base of bases) {
		const manifestPath = findPackageJSON(name, pathToFileURL(join(base, 'package.json')).href);
		if (!manifestPath) continue;
		const pkg = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
			exports?: string | Record<string, string | Record<string, string>>;
			main?: string;
		};
		let entry: string | undefined;
		const root = typeof pkg.exports === 'object' && pkg.exports !== null ? (pkg.exports['.'] ?? pkg.exports) : pkg.exports;
		if (typeof root === 'string') entry = root;
		else if (root && typeof root === 'object') entry = (root as Record<string, string>).import ?? (root as Record<string, string>).default;
		entry ??= pkg.main ?? 'index.js';
		return join(dirname(manifestPath), entry);
	}
	throw new PluginLoadError(
		`FACET_PLUGINS: package "${name}" is not installed (looked from ${bases.join(' and ')}); run npm install ${name}`
	);
}

/** Loads one FACET_PLUGINS entry: a package's default export (or its exported manifests), or a module path's. */
async function loadEntry(entry: string, cwd: string): Promise<PluginManifest[]> {
	const file = looksLikePath(entry) ? resolve(cwd, entry) : packageEntry(entry, [cwd, appRoot]);
	let module: Record<string, unknown>;
	try {
		module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
	} catch (error) {
		throw new PluginLoadError(`FACET_PLUGINS: ${entry} could not be imported: ${(error as Error).message}`);
	}
	const found = isManifest(module.default) ? [module.default] : Object.values(module).filter(isManifest);
	if (found.length === 0) throw new PluginLoadError(`FACET_PLUGINS: ${entry} exports no plugin manifest (export it as the default export)`);
	return found;
}

/** Splits a comma-separated list, dropping blanks. */
function listOf(value: string | undefined): string[] {
	return (value ?? '')
		.split(',')
		.map((part) => part.trim())
		.filter(Boolean);
}

/**
 * The plugin list of this process: the built-in plugins the composition root passes, then every plugin named in
 * `FACET_PLUGINS` (npm package names or module paths) and `FACET_EXTRA_PLUGINS` (paths). The bot's start, the
 * migration command and the built output all call this, so they agree on which plugins — and which migrations —
 * exist. Reads the raw environment: plugins extend the env schema, so this runs before it is parsed.
 */
export async function assemblePlugins(
	builtIn: readonly PluginManifest[],
	source: NodeJS.ProcessEnv = process.env,
	cwd: string = process.cwd()
): Promise<PluginManifest[]> {
	const manifests = [...builtIn];
	for (const entry of [...listOf(source.FACET_PLUGINS), ...listOf(source.FACET_EXTRA_PLUGINS)]) {
		manifests.push(...(await loadEntry(entry, cwd)));
	}
	const seen = new Set<string>();
	for (const manifest of manifests) {
		if (!/^[a-z][a-z0-9-]{1,31}$/.test(manifest.name)) throw new PluginLoadError(`invalid plugin name "${manifest.name}"`);
		if (seen.has(manifest.name)) throw new PluginLoadError(`two plugins are named "${manifest.name}"`);
		seen.add(manifest.name);
	}
	return manifests;
}
