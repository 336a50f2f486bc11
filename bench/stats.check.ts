/**
 * Standalone checks of bench/stats.ts (the vitest projects only cover src/ and test/):
 * `npm run bench:check`. Exits non-zero on the first failed assertion.
 */
import assert from 'node:assert/strict';
import { median, p95, percentile, ratio, summarize, verdict } from './stats.js';

assert.ok(Number.isNaN(median([])));
assert.equal(median([3]), 3);
assert.equal(median([5, 1, 3]), 3);
assert.equal(median([4, 1, 3, 2]), 2.5);
assert.equal(median([1, Number.NaN, 3]), 2, 'non-finite samples are ignored');

// Nearest rank: always an observed sample; with fewer than 20 samples p95 is the maximum.
assert.equal(p95([1, 2, 3, 4, 5]), 5);
const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
assert.equal(p95(hundred), 95);
assert.equal(percentile(hundred, 50), 50);
assert.equal(percentile(hundred, 99), 99);
assert.equal(percentile(hundred, 100), 100);
assert.equal(percentile([7], 1), 7);
assert.throws(() => percentile([1], 0), RangeError);
assert.throws(() => percentile([1], 101), RangeError);

assert.equal(summarize([]), undefined);
assert.deepEqual(summarize([3, 1, 2]), { n: 3, median: 2, p95: 3, min: 1, max: 3, mean: 2 });

assert.equal(ratio(3000, 1000), 3);
assert.equal(ratio(1000, 3000), 0.33);
assert.equal(ratio(1, 0), undefined);
assert.equal(ratio(undefined, 1), undefined);

assert.deepEqual(verdict(4, 5, 'at-most'), { met: true, text: 'met' });
assert.deepEqual(verdict(6, 5, 'at-most'), { met: false, missedBy: 1, missedByPercent: 20, text: 'missed by 1 (20 %)' });
assert.deepEqual(verdict(120, 150, 'at-least', (v) => `${v} nodes`), { met: false, missedBy: 30, missedByPercent: 20, text: 'missed by 30 nodes (20 %)' });
assert.equal(verdict(150, 150, 'at-least').met, true);

process.stdout.write('bench/stats: all checks passed\n');
