import { describe, expect, it } from 'vitest';
import { ROUTES } from '../wire/routes.js';
import { registryTagPath } from './api-client.js';

describe("the client's registry paths are the contract's", () => {
  it('GET /v1/registry, GET …/repositories, DELETE …/{repository}/tags/{tag} with the full name as one encoded segment', () => {
    expect([ROUTES.registry.method, ROUTES.registry.path]).toEqual(['GET', '/v1/registry']);
    expect([ROUTES.repositories.method, ROUTES.repositories.path]).toEqual(['GET', '/v1/registry/repositories']);
    const fill = (repository: string, tag: string) => ROUTES.deleteTag.path.replace(':repository', encodeURIComponent(repository)).replace(':tag', encodeURIComponent(tag));
    expect(ROUTES.deleteTag.method).toBe('DELETE');
    expect(registryTagPath('alice/app', '1')).toBe(fill('alice/app', '1'));
    expect(registryTagPath('alice/team/app', 'v1.0')).toBe('/v1/registry/repositories/alice%2Fteam%2Fapp/tags/v1.0');
  });
});
