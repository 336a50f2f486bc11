import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ephemeralOverlapWarning, ephemeralPortRange } from './ephemeral-ports.js';

describe('endpoint ports against the kernel’s ephemeral range', () => {
  const linux = { from: 32768, to: 60999 };

  it.each([
    [{ from: 23760, to: 24759 }, false],
    [{ from: 32000, to: 32767 }, false],
    [{ from: 61000, to: 61999 }, false],
    [{ from: 32000, to: 32768 }, true],
    [{ from: 37200, to: 37219 }, true],
    [{ from: 60999, to: 61500 }, true],
    [{ from: 30000, to: 65000 }, true],
  ])('range %o overlaps: %s', (range, overlaps) => {
    const warning = ephemeralOverlapWarning(range, linux);
    expect(warning !== undefined).toBe(overlaps);
    if (overlaps) expect(warning).toContain(`CARINA_PORT_RANGE ${range.from}-${range.to} overlaps the kernel's ephemeral ports 32768-60999`);
  });

  it('says nothing when the kernel’s range is unknown', () => {
    expect(ephemeralOverlapWarning({ from: 40000, to: 40010 }, undefined)).toBeUndefined();
  });

  it('reads the range the kernel writes, tab-separated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carina-ephemeral-'));
    writeFileSync(join(dir, 'range'), '32768\t60999\n');
    expect(await ephemeralPortRange(join(dir, 'range'))).toEqual(linux);
    writeFileSync(join(dir, 'range'), 'garbage\n');
    expect(await ephemeralPortRange(join(dir, 'range'))).toBeUndefined();
    expect(await ephemeralPortRange(join(dir, 'absent'))).toBeUndefined();
  });
});
