/** A tier as the role logic needs it. */
export interface TierRule {
	id: number;
	name: string;
	threshold: number;
	roleId: string;
}

/**
 * The tier roles a member with `points` should have and should not have. Reached tiers are granted; with
 * `removeLowerTiers`, only the highest reached tier is kept. Roles of unreached tiers are removed.
 */
export function tierRoleChanges(
	points: number,
	tiers: readonly TierRule[],
	removeLowerTiers: boolean
): { want: string[]; unwanted: string[] } {
	const sorted = [...tiers].sort((a, b) => a.threshold - b.threshold);
	const reached = sorted.filter((tier) => points >= tier.threshold);
	const keep = removeLowerTiers ? reached.slice(-1) : reached;
	const want = keep.map((tier) => tier.roleId);
	const unwanted = sorted.map((tier) => tier.roleId).filter((roleId) => !want.includes(roleId));
	return { want, unwanted };
}

/** True when a change of points crosses any threshold (either way): only then is a member's roles touched. */
export function crossesThreshold(before: number, after: number, tiers: readonly TierRule[]): boolean {
	return tiers.some((tier) => before >= tier.threshold !== after >= tier.threshold);
}
