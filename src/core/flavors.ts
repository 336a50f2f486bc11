import { CREATE_DEFAULTS } from '../wire/limits.js';

/** A node size. The only flavor Carina offered was container1-4G. */
export interface Flavor {
  readonly name: string;
  readonly memoryBytes: number;
  readonly vcpus: number;
  readonly diskGb: number;
}

const GiB = 1024 ** 3;

/** Every flavor this platform offers. */
export const FLAVORS: readonly Flavor[] = Object.freeze([
  Object.freeze({ name: 'container1-4G', memoryBytes: 4 * GiB, vcpus: 2, diskGb: 20 }),
]);

/** The flavor used when a create request names none (the contract's default). */
export const DEFAULT_FLAVOR = CREATE_DEFAULTS.flavor;

/** Looks a flavor up by name. */
export function findFlavor(name: string): Flavor | undefined {
  return FLAVORS.find((f) => f.name === name);
}
