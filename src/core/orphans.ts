/** Orphans are looked for on the first periodic pass and every this many after it (listing the engine is not free). */
export const ORPHAN_PASS_EVERY = 6;

/** Whether periodic pass number `pass` (from 0) collects orphans. */
export function collectsOrphans(pass: number): boolean {
  return pass % ORPHAN_PASS_EVERY === 0;
}

/**
 * Whether engine objects labelled with cluster `id` are orphans to remove: no cluster record has
 * that id, and no worker is busy with it (a delete that is finishing removes them itself).
 */
export function isOrphan(id: string, known: ReadonlySet<string>, busy: { has(id: string): boolean }): boolean {
  return !known.has(id) && !busy.has(id);
}
