/*
 * Rotating prompts: each cycle is a shuffled order of every prompt; a prompt comes back only after all the others
 * were posted, and a new cycle never starts with the prompt that ended the last one. Pure; randomness is injected.
 */

/** Where a post is in its rotation: the current cycle's order (prompt indexes) and the next position in it. */
export interface RotationState {
	order: number[];
	position: number;
}

/** A random number in [0, 1). */
export type Random = () => number;

/** A shuffled order of `count` prompts that does not start with `avoidFirst` (when there is a choice). */
export function newOrder(count: number, random: Random, avoidFirst: number | null = null): number[] {
	const order = Array.from({ length: count }, (_, i) => i);
	for (let i = count - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[order[i], order[j]] = [order[j]!, order[i]!];
	}
	if (count > 1 && order[0] === avoidFirst) {
		// Swap with another position so the prompt just posted is not posted again straight away.
		const j = 1 + Math.floor(random() * (count - 1));
		[order[0], order[j]] = [order[j]!, order[0]!];
	}
	return order;
}

/** True when the state is a usable cycle for `count` prompts (a permutation, position inside it). */
export function isValidRotation(state: RotationState, count: number): boolean {
	if (state.order.length !== count || state.position < 0 || state.position >= count) return false;
	const seen = new Set(state.order);
	return seen.size === count && state.order.every((i) => Number.isInteger(i) && i >= 0 && i < count);
}

/** The state for a new list of `count` prompts. */
export function startRotation(count: number, random: Random): RotationState {
	return { order: newOrder(count, random), position: 0 };
}

/** The prompt index the next post uses (repairs a state that no longer fits the list). */
export function currentPrompt(state: RotationState, count: number, random: Random): { index: number; state: RotationState } {
	const usable = isValidRotation(state, count) ? state : startRotation(count, random);
	return { index: usable.order[usable.position]!, state: usable };
}

/** The state after the current prompt was posted: the next position, or a new cycle once all were posted. */
export function advanceRotation(state: RotationState, count: number, random: Random): RotationState {
	const { index, state: usable } = currentPrompt(state, count, random);
	if (usable.position + 1 < count) return { order: usable.order, position: usable.position + 1 };
	return { order: newOrder(count, random, index), position: 0 };
}
