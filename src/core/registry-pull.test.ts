import { describe, expect, it } from 'vitest';
import { carriesCredentials, pulledImage, pullAuthToInject } from './registry-pull.js';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const REG = '169.254.213.1:5443';

describe('registry pulls through the gateway', () => {
  it.each([
    ['POST', '/images/create', [['fromImage', `${REG}/alice/app`], ['tag', '1']], undefined, `${REG}/alice/app`],
    ['GET', `/distribution/${REG}/alice/app:1/json`, [], undefined, `${REG}/alice/app:1`],
    ['POST', '/services/create', [], { TaskTemplate: { ContainerSpec: { Image: `${REG}/alice/app:1` } } }, `${REG}/alice/app:1`],
    ['POST', '/services/abc/update', [], { tasktemplate: { containerspec: { image: 'carina/busybox' } } }, 'carina/busybox'],
    ['POST', '/containers/create', [], { Image: `${REG}/alice/app:1` }, undefined],
    ['GET', '/images/json', [], undefined, undefined],
  ] as const)('%s %s pulls %s', (method, path, query, body, expected) => {
    expect(pulledImage(method, path, query, body)).toBe(expected);
  });

  it('injects the pull credential only for this registry and only when the client brought none', () => {
    const pull = 'PULL';
    expect(pullAuthToInject(`${REG}/alice/app:1`, REG, undefined, pull)).toBe(pull);
    expect(pullAuthToInject(`${REG}/alice/app:1`, REG, b64({}), pull)).toBe(pull);
    expect(pullAuthToInject(`${REG}/alice/app:1`, REG, b64({ username: 'alice', password: 'k' }), pull)).toBeUndefined();
    expect(pullAuthToInject('carina/busybox', REG, undefined, pull)).toBeUndefined();
    // A registry whose address merely begins like ours is another registry.
    expect(pullAuthToInject(`${REG}0/alice/app:1`, REG, undefined, pull)).toBeUndefined();
    expect(pullAuthToInject(undefined, REG, undefined, pull)).toBeUndefined();
  });

  it('reads docker\'s empty and garbled auth headers as no credentials', () => {
    expect(carriesCredentials('e30=')).toBe(false);
    expect(carriesCredentials('not base64 json')).toBe(false);
    expect(carriesCredentials(b64({ identitytoken: 't' }))).toBe(true);
  });
});
