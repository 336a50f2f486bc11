import { describe, expect, it } from 'vitest';
import { decideAutoscale, type NodeUsage } from './autoscale.js';
import { FLAVORS } from './flavors.js';

const flavor = FLAVORS[0]!;
const GiB = 1024 ** 3;
const node = (index: number, cpus: number, memGiB: number): NodeUsage => ({
  index,
  reservedNanoCpus: cpus * 1e9,
  reservedMemoryBytes: memGiB * GiB,
  usedNanoCpus: null,
  usedMemoryBytes: null,
  containers: 0,
  tasks: 0,
});

describe('autoscale policy', () => {
  it('does nothing below 80 % of CPU and memory', () => {
    expect(decideAutoscale({ nodeCount: 2, flavor, maxNodes: 5, usage: { nodes: [node(0, 1.5, 3), node(1, 1.5, 3)] } })).toEqual({ kind: 'none' });
  });

  it('grows by one node when reserved memory reaches 80 %, saying why with the numbers', () => {
    const d = decideAutoscale({ nodeCount: 2, flavor, maxNodes: 5, usage: { nodes: [node(0, 0, 3.4), node(1, 0, 3.3)] } });
    expect(d).toEqual({ kind: 'grow', to: 3, message: 'reserved memory 84 % of 8 GiB ≥ 80 %: growing 2 → 3' });
  });

  it('grows on CPU alone', () => {
    const d = decideAutoscale({ nodeCount: 1, flavor, maxNodes: 5, usage: { nodes: [node(0, 1.6, 0)] } });
    expect(d).toEqual({ kind: 'grow', to: 2, message: 'reserved CPU 80 % of 2 vCPU ≥ 80 %: growing 1 → 2' });
  });

  it('names both when both are high', () => {
    const d = decideAutoscale({ nodeCount: 1, flavor, maxNodes: 5, usage: { nodes: [node(0, 2, 4)] } });
    expect(d.kind === 'grow' && d.message).toBe('reserved memory 100 % of 4 GiB ≥ 80 % and reserved CPU 100 % of 2 vCPU ≥ 80 %: growing 1 → 2');
  });

  it('stays put at the quota and says so', () => {
    const d = decideAutoscale({ nodeCount: 3, flavor, maxNodes: 3, usage: { nodes: [node(0, 0, 4), node(1, 0, 4), node(2, 0, 4)] } });
    expect(d).toEqual({ kind: 'quota', message: 'reserved memory 100 % of 12 GiB ≥ 80 %, but the quota of 3 nodes per cluster is reached: not growing' });
  });

  it('never shrinks, however idle', () => {
    expect(decideAutoscale({ nodeCount: 5, flavor, maxNodes: 5, usage: { nodes: [] } })).toEqual({ kind: 'none' });
  });
});
