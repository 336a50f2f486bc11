import { describe, expect, it } from 'vitest';
import { grant, isRepositoryName, namespaceOf, parseScopes, tagReference } from './registry-access.js';

describe('registry access', () => {
  it('parses scopes, names with a registry port included, and drops malformed ones', () => {
    expect(parseScopes(['repository:alice/app:pull,push', 'registry:catalog:*', 'repository:host:5000/x:pull', 'nonsense', 'repository:alice/x:'])).toEqual([
      { type: 'repository', name: 'alice/app', actions: ['pull', 'push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
      { type: 'repository', name: 'host:5000/x', actions: ['pull'] },
    ]);
    expect(parseScopes(['repository:alice/a:pull repository:alice/b:push'])).toHaveLength(2);
  });

  it.each([
    ['own repository, key: pull and push', 'api-key', 'repository:alice/app:pull,push', [{ type: 'repository', name: 'alice/app', actions: ['pull', 'push'] }]],
    ['own nested repository', 'api-key', 'repository:alice/team/app:pull', [{ type: 'repository', name: 'alice/team/app', actions: ['pull'] }]],
    ['pull credential never pushes', 'pull', 'repository:alice/app:pull,push', [{ type: 'repository', name: 'alice/app', actions: ['pull'] }]],
    ['pull credential asking only push gets nothing', 'pull', 'repository:alice/app:push', []],
    ['another account', 'api-key', 'repository:bob/app:pull', []],
    ['a prefix of the namespace is not the namespace', 'api-key', 'repository:alicex/app:pull', []],
    ['the namespace itself is not a repository of it', 'api-key', 'repository:alice:pull', []],
    ['catalog', 'api-key', 'registry:catalog:*', []],
    ['delete and wildcard actions', 'api-key', 'repository:alice/app:delete,*', []],
    ['malformed name', 'api-key', 'repository:alice/App:pull', []],
    ['path tricks', 'api-key', 'repository:alice/../bob/app:pull', []],
  ] as const)('%s', (_, credential, scope, expected) => {
    expect(grant('alice', credential, parseScopes([scope]))).toEqual(expected);
  });

  it('knows the registry grammar and which account names are namespaces', () => {
    expect(isRepositoryName('alice/my-app.v2/x__y')).toBe(true);
    expect(isRepositoryName('alice/-app')).toBe(false);
    expect(isRepositoryName(`alice/${'a'.repeat(300)}`)).toBe(false);
    expect(namespaceOf('alice')).toEqual({ namespace: 'alice' });
    expect(namespaceOf('dev-team2')).toEqual({ namespace: 'dev-team2' });
    expect(namespaceOf('alice_')).toHaveProperty('problem');
  });

  it.each([
    ['app:1', { repository: 'alice/app', tag: '1' }],
    ['alice/app:1', { repository: 'alice/app', tag: '1' }],
    ['10.0.0.1:5443/alice/app:latest', { repository: 'alice/app', tag: 'latest' }],
    ['team/app:v1.2', { repository: 'alice/team/app', tag: 'v1.2' }],
  ])('reads the tag reference %s', (input, expected) => {
    expect(tagReference(input, 'alice', '10.0.0.1:5443')).toEqual(expected);
  });

  it.each(['app', '10.0.0.1:5443/alice/app', 'App:1', 'app:-x'])('refuses %s with a reason', (input) => {
    expect(tagReference(input, 'alice', '10.0.0.1:5443')).toHaveProperty('problem');
  });
});
