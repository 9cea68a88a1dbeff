import type { z } from 'zod';
import type { AdjustRequest, ReverseRequest, TierRequest } from '../contract.ts';
import type { AdjustBody, ReverseBody, TierBody } from './_shared.ts';

/*
 * Compile-time only: the body schemas accept exactly the request types the dashboard is written against. A schema
 * change that the contract does not follow fails `npm run typecheck` here. (`_`-prefixed: not a route.)
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

/** Fails to compile when a schema and its contract type drift apart. */
export type BodyContract = [
	Assert<Same<z.input<typeof AdjustBody>, AdjustRequest>>,
	Assert<Same<z.input<typeof ReverseBody>, ReverseRequest>>,
	Assert<Same<z.input<typeof TierBody>, TierRequest>>
];
