import { describe, expect, it } from 'vitest';
import { clusterSubnet, MAX_NODES_ON_OVERLAY, MAX_NODES_PER_SUBNET } from './subnets.js';

describe('cluster subnets', () => {
  it('carves a /26 per port with fixed node addresses', () => {
    const s = clusterSubnet('10.213.0.0/16', 23760);
    // 23760 % 1024 = 208 → 208 * 64 = 13312 = 52 * 256
    expect(s).toMatchObject({ subnet: '10.213.52.0/26', gateway: '10.213.52.1' });
    expect(s.nodeAddress(0)).toBe('10.213.52.2');
    expect(s.nodeAddress(MAX_NODES_PER_SUBNET - 1)).toBe('10.213.52.59');
    expect(() => s.nodeAddress(MAX_NODES_PER_SUBNET)).toThrow(/out of range/);
  });

  it('keeps an overlay network\'s own addresses (top /28) clear of the nodes it may hold', () => {
    const s = clusterSubnet('10.213.0.0/16', 23760);
    expect(s.dynamicRange).toBe('10.213.52.48/28');
    expect(s.nodeAddress(MAX_NODES_ON_OVERLAY - 1)).toBe('10.213.52.47');
  });

  it('gives 1024 consecutive ports distinct subnets inside the pool', () => {
    const subnets = new Set(Array.from({ length: 1024 }, (_, i) => clusterSubnet('10.213.0.0/16', 23760 + i).subnet));
    expect(subnets.size).toBe(1024);
    for (const s of subnets) expect(s.startsWith('10.213.')).toBe(true);
  });

  it('rejects a pool that is not an IPv4 /16', () => {
    expect(() => clusterSubnet('10.0.0.0/8', 1)).toThrow(/\/16/);
    expect(() => clusterSubnet('300.1.0.0/16', 1)).toThrow(/\/16/);
  });
});
