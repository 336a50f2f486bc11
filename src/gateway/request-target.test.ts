import { describe, expect, it } from 'vitest';
import { filterHeaders, normaliseSerial, parseTarget, redactTarget, requestHeaders } from './request-target.js';

describe('request targets', () => {
  it('forwards origin-form targets unchanged and gives the policy the canonical path', () => {
    const t = parseTarget('/v1.41/containers%2Fcreate?name=web&name=x');
    expect(t.forward).toBe('/v1.41/containers%2Fcreate?name=web&name=x');
    expect(t.policyPath).toBe('/containers/create');
    expect(t.query).toEqual([['name', 'web'], ['name', 'x']]);
  });

  it('forwards only the path and query of an absolute-form target', () => {
    const t = parseTarget('http://evil.example/v1.41/containers/create?x=1');
    expect(t.forward).toBe('/v1.41/containers/create?x=1');
    expect(t.policyPath).toBe('/containers/create');
  });

  it('redacts secrets in the query, keeps the rest', () => {
    expect(redactTarget(parseTarget('/v1.41/build?t=web&buildargs=%7B%22TOKEN%22%3A%22s3cret%22%7D'))).toBe('/v1.41/build?t=web&buildargs=***');
    expect(redactTarget(parseTarget('/images/create?fromSrc=https%3A%2F%2Fu%3Apw%40host%2Fa.tar&tag=1'))).toBe(
      `/images/create?fromSrc=${encodeURIComponent('https://***@host/a.tar')}&tag=1`,
    );
    expect(redactTarget(parseTarget('/auth?password=x&registryToken=y'))).toBe('/auth?password=***&registryToken=***');
    expect(redactTarget(parseTarget('/containers/json'))).toBe('/containers/json');
  });
});

describe('headers', () => {
  it('drops hop-by-hop headers and those the Connection header names', () => {
    const raw = ['Host', 'h', 'Connection', 'keep-alive, X-Private', 'X-Private', '1', 'Transfer-Encoding', 'chunked', 'Content-Type', 'application/json'];
    expect(filterHeaders(raw)).toEqual(['Host', 'h', 'Content-Type', 'application/json']);
    expect(filterHeaders(raw, ['content-type'], ['Content-Length', '2'])).toEqual(['Host', 'h', 'Content-Length', '2']);
  });

  it('always sends a Host header upstream', () => {
    expect(requestHeaders(['Accept', '*/*'])).toEqual(['Host', 'docker', 'Accept', '*/*']);
  });

  it('normalises certificate serials', () => {
    expect(normaliseSerial('4A:3F:00')).toBe('4a3f00');
    expect(normaliseSerial('004A3F')).toBe('4a3f');
  });
});
