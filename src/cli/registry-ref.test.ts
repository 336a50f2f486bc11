import { describe, expect, it } from 'vitest';
import { parseTagRef, tagName } from './registry-ref.js';

const alice = { address: '203.0.113.7:5000', namespace: 'alice' };

describe('registry references', () => {
  it.each([
    ['app:1', 'alice/app', '1'],
    ['alice/app:1', 'alice/app', '1'],
    ['203.0.113.7:5000/alice/app:1', 'alice/app', '1'],
    ['203.0.113.7:5000/app:1', 'alice/app', '1'],
    ['  alice/app:v1.2_rc-3 ', 'alice/app', 'v1.2_rc-3'],
    ['team/app:latest', 'alice/team/app', 'latest'],
    ['alice/team/app:2', 'alice/team/app', '2'],
    ['my-app.web__x:1', 'alice/my-app.web__x', '1'],
  ])('%s means %s:%s', (ref, repository, tag) => {
    expect(parseTagRef(ref, alice)).toEqual({ repository, tag });
  });

  it('matches the address case-insensitively and the namespace exactly', () => {
    expect(parseTagRef('REGISTRY.example:443/alice/app:1', { address: 'registry.example:443', namespace: 'alice' })).toEqual({ repository: 'alice/app', tag: '1' });
    // An account whose name looks like a host is still its namespace.
    expect(parseTagRef('ops.team/app:1', { address: 'r:5000', namespace: 'ops.team' })).toEqual({ repository: 'ops.team/app', tag: '1' });
  });

  it.each([
    ['app', /give the tag too/],
    ['203.0.113.7:5000/alice/app', /give the tag too/],
    ['alice/app@sha256:0123', /not a digest/],
    ['app:', /the tag "" is not valid/],
    ['app:-x', /the tag "-x" is not valid/],
    [`app:${'x'.repeat(129)}`, /is not valid/],
    ['other.example:5000/alice/app:1', /other.example:5000 is not your registry \(203.0.113.7:5000\)/],
    ['localhost/app:1', /localhost is not your registry/],
    ['App:1', /lowercase/],
    ['alice//app:1', /lowercase/],
    ['alice/:1', /lowercase/],
    [':1', /lowercase/],
    ['203.0.113.7:5000/:1', /lowercase/],
    ['a--b_:1', /lowercase/],
    [`${'a'.repeat(250)}:1`, /longer than 255/],
  ])('refuses %s as a usage error', (ref, why) => {
    let error: unknown;
    try {
      parseTagRef(ref, alice);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'CARINA_ERR_USAGE', exitCode: 2 });
    expect((error as Error).message).toMatch(why);
    expect((error as Error).message).toContain(`"${ref}" is not a tag of your registry`);
  });

  it('writes REPOSITORY:TAG', () => {
    expect(tagName({ repository: 'alice/app', tag: '1' })).toBe('alice/app:1');
  });
});
