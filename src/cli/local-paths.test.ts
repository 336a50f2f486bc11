import { describe, expect, it } from 'vitest';
import { credentialsDir, credentialsUser, isSafeSegment, removalProblem } from './local-paths.js';

const ROOT = '/home/u/.carina/clusters';
const check = (target: string, root = ROOT) => removalProblem(target, root, '/work', '/home/u');

describe('removalProblem', () => {
  it('allows a directory strictly inside the credentials root', () => {
    expect(check('/home/u/.carina/clusters/alice/demo')).toBeNull();
    expect(check(credentialsDir('/home/u/.carina', 'alice', 'demo'))).toBeNull();
  });

  it('refuses empty, ".", "..", "/" and the root itself', () => {
    expect(check('')).toMatch(/empty/);
    expect(check('  ')).toMatch(/empty/);
    expect(check('.')).toMatch(/not a credentials directory/);
    expect(check('..')).toMatch(/not a credentials directory/);
    expect(check('/')).toMatch(/root/);
    expect(check(ROOT)).toMatch(/not inside/);
    expect(check('/x', '')).toMatch(/root is empty/);
  });

  it('refuses anything outside the root, the working or the home directory', () => {
    expect(check('/home/u/.carina/clusters/../config.toml')).toMatch(/not inside/);
    expect(check('/etc')).toMatch(/not inside/);
    expect(check('/home/u')).toMatch(/home directory/);
    expect(removalProblem('/work', '/', '/work', '/home/u')).toMatch(/working/);
  });
});

describe('credentials directory names', () => {
  it('names the credentials directory after the username, else the key account', () => {
    expect(credentialsUser('alice', 'k')).toBe('alice');
    expect(credentialsUser(undefined, 'carina_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBe('account-0123456789abcdef');
    expect(credentialsUser(undefined, 'something-else')).toBe('default');
    expect(() => credentialsUser('../etc', 'k')).toThrow(/cannot name a directory/);
    expect(isSafeSegment('.')).toBe(false);
    expect(isSafeSegment('a..b')).toBe(false);
  });
});
