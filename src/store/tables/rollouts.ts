/** Progressive delivery: rollouts and their decisions (src/rollouts/). Owned by migration 010_rollouts. */
// biome-ignore lint/complexity/noBannedTypes: filled by migration 010_rollouts
export type RolloutTables = {};
