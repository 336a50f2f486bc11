import { describe, expect, it } from 'vitest';
import { collectsOrphans, isOrphan } from './orphans.js';

const known = new Set(['live']);
const busy = new Set(['finishing']);

describe('orphan rules', () => {
  it.each([
    ['objects of a cluster whose record exists are kept', 'live', false],
    ['objects of a cluster whose record is gone are removed', 'gone', true],
    ['objects of a cluster a worker is still deleting are left to it', 'finishing', false],
  ] as const)('%s', (_rule, id, expected) => {
    expect(isOrphan(id, known, busy)).toBe(expected);
  });

  it('looks on the first periodic pass, then every sixth', () => {
    expect([0, 1, 5, 6, 7, 12].map(collectsOrphans)).toEqual([true, false, false, true, false, true]);
  });
});
