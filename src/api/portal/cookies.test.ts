import { describe, expect, it } from 'vitest';
import { parseCookies, sessionCookie } from './cookies.js';

describe('cookies', () => {
  it('parses a Cookie header; the first value of a name wins; bad values are skipped', () => {
    const c = parseCookies('a=1; carina_session=abc%2Bd; a=2; broken=%E0%A4%A; =x; flag');
    expect(c.get('a')).toBe('1');
    expect(c.get('carina_session')).toBe('abc+d');
    expect(c.has('broken')).toBe(false);
    expect(c.size).toBe(2);
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('sets an HttpOnly, SameSite=Strict cookie for the whole site; Secure over HTTPS', () => {
    expect(sessionCookie('s', 'v', { maxAgeSeconds: 3600, secure: false })).toBe('s=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600');
    expect(sessionCookie('s', '', { maxAgeSeconds: 0, secure: true })).toBe('s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure');
  });
});
