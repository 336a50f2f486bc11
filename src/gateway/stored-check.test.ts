import { describe, expect, it } from 'vitest';
import { needsStoredCheck, storedTarget } from './stored-check.js';

type Case = readonly [name: string, method: string, path: string, answer: unknown, expected: ReturnType<typeof storedTarget>];

// Paths are canonical (core/policy.ts canonicalPath): decoded, cleaned, without /v1.xx. Answers are the engine's.
const CASES: Case[] = [
  ['container create', 'POST', '/containers/create', { Id: 'c1', Warnings: [] }, { kind: 'container', id: 'c1' }],
  ['container update: the reference in the path', 'POST', '/containers/web/update', { Warnings: [] }, { kind: 'container', id: 'web' }],
  ['legacy start with a host config', 'post', '/containers/abc123/start', undefined, { kind: 'container', id: 'abc123' }],
  ["a legacy link's parent/alias is one reference", 'POST', '/containers/lnk/alias/start', undefined, { kind: 'container', id: 'lnk/alias' }],
  ['exec create: the exec, from the answer', 'POST', '/containers/lnk/alias/exec', { Id: 'e1' }, { kind: 'exec', id: 'e1' }],
  ['service create (answer spelled ID)', 'POST', '/services/create', { ID: 's1' }, { kind: 'service', id: 's1' }],
  ['service update', 'POST', '/services/s1/update', { Warnings: null }, { kind: 'service', id: 's1' }],
  ['volume create: its name', 'POST', '/volumes/create', { Name: 'data', Driver: 'local' }, { kind: 'volume', id: 'data' }],
  ['network create', 'POST', '/networks/create', { Id: 'n1', Warning: '' }, { kind: 'network', id: 'n1' }],
  ['a case-folded path (the policy matches paths case-insensitively too)', 'POST', '/Containers/Create', { Id: 'c2' }, { kind: 'container', id: 'c2' }],
  ['an answer without the id', 'POST', '/containers/create', { message: 'x' }, undefined],
  ['an answer that is not JSON', 'POST', '/networks/create', undefined, undefined],
  ['container inspect is not a create', 'GET', '/containers/c1/json', undefined, undefined],
  ['container remove', 'DELETE', '/containers/c1', undefined, undefined],
  ['exec start', 'POST', '/exec/e1/start', undefined, undefined],
  ['network connect', 'POST', '/networks/n1/connect', undefined, undefined],
  ['container stop', 'POST', '/containers/c1/stop', undefined, undefined],
];

describe('storedTarget', () => {
  it.each(CASES)('%s', (_name, method, path, answer, expected) => {
    expect(storedTarget(method, path, answer)).toEqual(expected);
  });
});

// Creates whose answer names no object still need the check: the gateway must not pass them as checked.
const UNREADABLE_ANSWERS = new Set(['an answer without the id', 'an answer that is not JSON']);

describe('needsStoredCheck', () => {
  it.each(CASES)('%s', (name, method, path, _answer, expected) => {
    expect(needsStoredCheck(method, path)).toBe(expected !== undefined || UNREADABLE_ANSWERS.has(name));
  });
});
