import { describe, expect, it } from 'vitest';
import { PAGE_LIMIT } from '../wire/limits.js';
import { accountNameProblem, assertClusterName, clusterNameProblem, hostNameProblem, parsePageLimit } from './validation.js';
import { CarinaError } from './errors.js';

describe('cluster names', () => {
  it.each(['a', 'mycluster', 'Test_1.dev-2', 'x'.repeat(63)])('accepts %s', (name) => {
    expect(clusterNameProblem(name)).toBeNull();
  });
  it.each([
    ['', 'empty'],
    ['1abc', 'start with a letter'],
    ['-abc', 'start with a letter'],
    ['a b', 'only letters'],
    ['a/b', 'only letters'],
    ['é', 'start with a letter'],
    ['x'.repeat(64), 'at most 63'],
  ])('rejects %j', (name, why) => {
    expect(clusterNameProblem(name)).toContain(why);
    expect(() => assertClusterName(name)).toThrow(CarinaError);
  });
});

describe('account names', () => {
  it('accepts lowercase names and rejects others', () => {
    expect(accountNameProblem('alice')).toBeNull();
    expect(accountNameProblem('ci-bot_2')).toBeNull();
    expect(accountNameProblem('Alice')).not.toBeNull();
    expect(accountNameProblem('')).not.toBeNull();
    expect(accountNameProblem('a'.repeat(64))).not.toBeNull();
  });
});

describe('page limits', () => {
  it('defaults when absent and accepts 1 to the maximum', () => {
    expect(parsePageLimit(undefined)).toBe(PAGE_LIMIT.default);
    expect(parsePageLimit('1')).toBe(1);
    expect(parsePageLimit(String(PAGE_LIMIT.max))).toBe(PAGE_LIMIT.max);
  });
  it.each(['0', '501', '-1', '1.5', 'ten', '', '1e2', '00000'])('rejects %j with a message naming the range', (raw) => {
    expect(() => parsePageLimit(raw)).toThrow(/limit must be a whole number from 1 to 500/);
  });
});

describe('host names', () => {
  it.each(['h1', 'a', 'rack-2-node-07', '0', 'x'.repeat(63)])('accepts %s', (name) => {
    expect(hostNameProblem(name)).toBeNull();
  });
  it.each(['', 'H1', '-h1', 'h1-', 'h_1', 'h.1', 'h 1', 'x'.repeat(64)])('rejects %j, saying what a name must be', (name) => {
    expect(hostNameProblem(name)).toMatch(/^host name must be a lower-case DNS label: a-z, 0-9 and "-"/);
  });
});
