import { describe, expect, it } from 'vitest';
import { accountNameProblem, assertClusterName, clusterNameProblem } from './validation.js';
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
