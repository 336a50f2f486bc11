import { describe, expect, it } from 'vitest';
import { nodeEventOf } from './node-events.js';

describe('nodeEventOf', () => {
  it("reads a node container's event: its cluster, container id and action", () => {
    const line = JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'abc123', Attributes: { 'carina.cluster.id': 'c1', name: 'carina-c1-n0' } } });
    expect(nodeEventOf(line)).toEqual({ clusterId: 'c1', containerId: 'abc123', action: 'start' });
  });

  it('ignores events of other objects and lines that are not JSON', () => {
    expect(nodeEventOf(JSON.stringify({ Action: 'die', Actor: { ID: 'x', Attributes: { name: 'other' } } }))).toBeUndefined();
    expect(nodeEventOf('{"partial')).toBeUndefined();
  });
});
