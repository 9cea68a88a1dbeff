import type { PluginManifest } from '../core/plugins/manifest.ts';
import { configPlugin } from './config/index.ts';
import { dailiesPlugin } from './dailies/index.ts';
import { mileagePlugin } from './mileage/index.ts';

/** The plugins this build of Facet loads, in load order. Add a plugin by listing its manifest here. */
export const plugins: PluginManifest[] = [configPlugin, mileagePlugin, dailiesPlugin];
