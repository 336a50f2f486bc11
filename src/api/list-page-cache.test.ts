import { describe, expect, it } from 'vitest';
import { ListPageCache } from './list-page-cache.js';

const page = { limit: 100 };
const version = (v: number) => () => Promise.resolve(v);

describe('ListPageCache', () => {
  it('makes a page once per version, and again when the version moves', async () => {
    const cache = new ListPageCache();
    let made = 0;
    const make = () => Promise.resolve(`page ${++made}`);
    expect(String(await cache.get('acc', page, version(1), make))).toBe('page 1');
    expect(String(await cache.get('acc', page, version(1), make))).toBe('page 1');
    expect(String(await cache.get('acc', page, version(2), make))).toBe('page 2');
    expect(String(await cache.get('other', page, version(2), make))).toBe('page 3'); // accounts apart
    expect(String(await cache.get('acc', { limit: 100, after: 'x' }, version(2), make))).toBe('page 4'); // pages apart
  });

  it('makes a page once for concurrent requests, and keeps nothing of a failed make', async () => {
    const cache = new ListPageCache();
    let made = 0;
    let release: (s: string) => void = () => undefined;
    const slow = () => (made++, new Promise<string>((r) => (release = r)));
    const both = Promise.all([cache.get('acc', page, version(1), slow), cache.get('acc', page, version(1), slow)]);
    await new Promise((r) => setImmediate(r));
    release('one');
    expect((await both).map(String)).toEqual(['one', 'one']);
    expect(made).toBe(1);
    await expect(cache.get('acc', page, version(2), () => Promise.reject(new Error('store out')))).rejects.toThrow('store out');
    expect(String(await cache.get('acc', page, version(2), () => Promise.resolve('two')))).toBe('two');
  });

  it('never replaces a newer page with one of an older version', async () => {
    const cache = new ListPageCache();
    await cache.get('acc', page, version(5), () => Promise.resolve('five'));
    expect(String(await cache.get('acc', page, version(4), () => Promise.resolve('four')))).toBe('four');
    expect(String(await cache.get('acc', page, version(5), () => Promise.resolve('again')))).toBe('five');
  });

  it('drops the least recently used pages past its byte budget', async () => {
    const cache = new ListPageCache(25);
    const ten = (c: string) => () => Promise.resolve(c.repeat(10));
    await cache.get('a', page, version(1), ten('a'));
    await cache.get('b', page, version(1), ten('b'));
    await cache.get('a', page, version(1), ten('x')); // a used again: b is now the oldest
    await cache.get('c', page, version(1), ten('c'));
    expect(cache.size).toEqual({ pages: 2, bytes: 20 });
    expect(String(await cache.get('a', page, version(1), ten('y')))).toBe('a'.repeat(10));
    expect(String(await cache.get('b', page, version(1), ten('z')))).toBe('z'.repeat(10));
  });
});
