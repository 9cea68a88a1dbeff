/** Filled by the production build (tsup.config.ts); empty when Facet runs from its sources. */
export const bundledPieces: [path: string, module: Record<string, unknown>][] = [];
