import { describe, expect, it } from 'vitest';
import { presentNode } from './presenters.js';

describe('presentNode', () => {
  it("shows a tenant its node's place, role, state and address in the cluster, not the host's container", () => {
    const node = { clusterId: 'c1', index: 1, role: 'worker', status: 'ready', address: '10.213.0.3', containerId: 'f00dcafe' } as const;
    expect(presentNode(node)).toEqual({ index: 1, role: 'worker', status: 'ready', address: '10.213.0.3' });
  });
});
