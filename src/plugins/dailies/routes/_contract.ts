import type { z } from 'zod';
import type { FeedRequest, OpmlImportRequest, PostRequest } from '../contract.ts';
import type { PostInput } from '../lib/posts/input.ts';
import type { FeedBody, OpmlImportBody } from './_shared.ts';

/*
 * Compile-time only: the body schemas accept exactly the request types the dashboard is written against. A schema
 * change that the contract does not follow fails `npm run typecheck` here. (`_`-prefixed: not a route.)
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

/** Fails to compile when a schema and its contract type drift apart. */
export type BodyContract = [
	Assert<Same<z.input<typeof FeedBody>, FeedRequest>>,
	Assert<Same<z.input<typeof OpmlImportBody>, OpmlImportRequest>>,
	Assert<Same<PostInput, PostRequest>>
];
