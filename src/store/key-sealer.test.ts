import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeySealer, isSealed, PLAINTEXT } from './key-sealer.js';

describe('the key sealer', () => {
  const sealer = createKeySealer(randomBytes(32));

  it('seals with a fresh IV each time and opens what it sealed', () => {
    const a = sealer.seal('-----BEGIN PRIVATE KEY-----');
    const b = sealer.seal('-----BEGIN PRIVATE KEY-----');
    expect(a).not.toBe(b);
    expect([isSealed(a), a.includes('PRIVATE')]).toEqual([true, false]);
    expect(sealer.open(a, 'x')).toBe('-----BEGIN PRIVATE KEY-----');
    expect(sealer.open(b, 'x')).toBe('-----BEGIN PRIVATE KEY-----');
  });

  it('passes plaintext from before sealing through, and refuses an altered value', () => {
    expect(sealer.open('-----BEGIN PRIVATE KEY-----', 'x')).toBe('-----BEGIN PRIVATE KEY-----');
    const sealed = sealer.seal('secret');
    const body = sealed.slice(sealed.lastIndexOf(':') + 1);
    const altered = `${sealed.slice(0, sealed.lastIndexOf(':') + 1)}${body.startsWith('A') ? 'B' : 'A'}${body.slice(1)}`;
    expect(() => sealer.open(altered, 'the CA key')).toThrow(/cannot decrypt the CA key/);
  });

  it('wants a 32-byte key; without one, sealed values are refused', () => {
    expect(() => createKeySealer(randomBytes(16))).toThrow(/32 bytes/);
    expect(PLAINTEXT.seal('k')).toBe('k');
    expect(() => PLAINTEXT.open(sealer.seal('k'), 'the CA key')).toThrow(/holds sealed keys/);
  });
});
