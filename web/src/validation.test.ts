import { describe, expect, it } from 'vitest';
import { clusterNameProblem as apiRule } from '../../src/core/validation.js';
import { clusterNameProblem, createProblems, growProblem } from './validation';

const quotas = { max_clusters: 3, max_nodes_per_cluster: 5, clusters: 1 };

describe('cluster name rule', () => {
  const samples = ['a', 'web', 'My.Cluster_1-x', '', '1abc', '-a', 'a b', 'ä', 'a/b', 'a'.repeat(63), 'a'.repeat(64), 'x!', '_a', 'A9'];
  it.each(samples)('agrees with the API on %j', (name) => {
    expect(clusterNameProblem(name) === null).toBe(apiRule(name) === null);
  });

  it('says what to fix, in words', () => {
    expect(clusterNameProblem('')).toBe('Enter a name for the cluster.');
    expect(clusterNameProblem('1abc')).toBe('Start the name with a letter.');
    expect(clusterNameProblem('my cluster')).toMatch(/no spaces/);
    expect(clusterNameProblem('a'.repeat(64))).toMatch(/at most 63/);
  });
});

describe('create form problems', () => {
  it('accepts a valid name and a node count within the quota', () => {
    expect(createProblems({ name: 'web', nodes: '5' }, quotas)).toEqual({});
  });
  it('bounds the node count by the quota', () => {
    expect(createProblems({ name: 'web', nodes: '6' }, quotas).nodes).toBe('Your quota allows at most 5 nodes per cluster.');
    expect(createProblems({ name: 'web', nodes: '0' }, quotas).nodes).toMatch(/at least 1/);
    expect(createProblems({ name: 'web', nodes: '1.5' }, quotas).nodes).toMatch(/whole number/);
    expect(createProblems({ name: 'web', nodes: '' }, quotas).nodes).toMatch(/whole number/);
  });
  it("keeps within the server's limit when the quota is higher", () => {
    const generous = { ...quotas, max_nodes_per_cluster: 80 };
    expect(createProblems({ name: 'web', nodes: '50' }, generous)).toEqual({});
    expect(createProblems({ name: 'web', nodes: '51' }, generous).nodes).toBe('A cluster is created with at most 50 nodes.');
    expect(growProblem('51', 1, generous)).toBe('Add at most 50 nodes at a time.');
  });
  it('flags a name already in use', () => {
    expect(createProblems({ name: 'web', nodes: '1' }, quotas, ['web']).name).toMatch(/already have a cluster named "web"/);
  });
});

describe('grow problems', () => {
  it('allows adding within the quota and names the room left', () => {
    expect(growProblem('2', 3, quotas)).toBeNull();
    expect(growProblem('3', 3, quotas)).toBe('Your quota allows 5 nodes per cluster: add at most 2.');
    expect(growProblem('1', 5, quotas)).toBe('This cluster already has the 5 nodes your quota allows.');
    expect(growProblem('0', 1, quotas)).toMatch(/1 or more/);
  });
});
