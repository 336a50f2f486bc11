import { describe, expect, it } from 'vitest';
import { age, ago, bytes, cpus, flavorSize, quotaText, readyText } from './format';

describe('format', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');
  it('tells ages a person reads', () => {
    expect(age('2025-01-01T11:59:50Z', now)).toBe('just now');
    expect(age('2025-01-01T11:55:00Z', now)).toBe('5 min');
    expect(age('2025-01-01T09:00:00Z', now)).toBe('3 h');
    expect(age('2024-12-31T10:00:00Z', now)).toBe('1 day');
    expect(age('2024-12-20T10:00:00Z', now)).toBe('12 days');
    expect(ago('2025-01-01T11:59:50Z', now)).toBe('just now');
    expect(ago('2025-01-01T11:55:00Z', now)).toBe('5 min ago');
  });
  it('shows quota usage as "2 of 3 clusters"', () => {
    expect(quotaText({ clusters: 2, max_clusters: 3, max_nodes_per_cluster: 5 })).toBe('2 of 3 clusters');
    expect(quotaText({ clusters: 0, max_clusters: 1, max_nodes_per_cluster: 5 })).toBe('0 of 1 cluster');
  });
  it('shows a flavor with its size', () => {
    expect(flavorSize({ name: 'container1-4G', memory: '4 GiB', memory_bytes: 4 * 1024 ** 3, vcpus: 2, disk_gb: 20 })).toBe('4 GiB memory, 2 vCPU, 20 GB disk');
  });
  it('shows Ready / wanted', () => {
    expect(readyText({ nodes: 2, nodes_ready: 1 })).toBe('1 / 2 Ready');
    expect(readyText({ nodes: 1, nodes_ready: null })).toBe('0 / 1 Ready');
  });
  it('formats bytes and CPUs', () => {
    expect(bytes(512 * 1024 ** 2)).toBe('512 MiB');
    expect(bytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
    expect(bytes(0)).toBe('0 B');
    expect(cpus(0.125)).toBe('0.13');
    expect(cpus(2)).toBe('2');
  });
});
