import { describe, expect, it } from 'vitest';
import { parseUsage, parseUsageTotal } from './usage';

describe('parseUsage', () => {
  it('reads nested figures', () => {
    const u = parseUsage({ nodes: [{ index: 0, cpu: { reserved: 0.5, used: 0.1 }, memory: { reserved_bytes: 1024, used_bytes: 2048 } }] });
    expect(u.get(0)).toEqual({ cpuReserved: 0.5, cpuUsed: 0.1, memoryReserved: 1024, memoryUsed: 2048 });
  });
  it('reads flat names and scales nano-CPUs and MiB', () => {
    const u = parseUsage({ nodes: [{ index: 1, reserved_nano_cpus: 500_000_000, used_cpus: 0.25, memory_reserved_mib: 2, memory_used_bytes: 10 }] });
    expect(u.get(1)).toEqual({ cpuReserved: 0.5, cpuUsed: 0.25, memoryReserved: 2 * 1024 ** 2, memoryUsed: 10 });
  });
  it('reads the core NodeUsage figures, snake_case or camelCase; null used figures stay unknown', () => {
    const snake = parseUsage({ nodes: [{ index: 0, reserved_nano_cpus: 1e9, reserved_memory_bytes: 1024, used_nano_cpus: null, used_memory_bytes: null, containers: 2, tasks: 1 }] });
    expect(snake.get(0)).toEqual({ cpuReserved: 1, memoryReserved: 1024 });
    const camel = parseUsage({ nodes: [{ index: 2, reservedNanoCpus: 5e8, reservedMemoryBytes: 1, usedNanoCpus: 2.5e8, usedMemoryBytes: 3 }] });
    expect(camel.get(2)).toEqual({ cpuReserved: 0.5, memoryReserved: 1, cpuUsed: 0.25, memoryUsed: 3 });
  });
  it('reads the wire format of GET /v1/clusters/{name}/usage, with capacity and the total', () => {
    const body = {
      cluster: 'web',
      nodes: [{ index: 0, capacity_cpus: 2, capacity_memory_bytes: 4096, reserved_cpus: 0.5, reserved_memory_bytes: 1024, used_cpus: null, used_memory_bytes: 10, containers: 1, tasks: 1 }],
      total: { capacity_cpus: 2, capacity_memory_bytes: 4096, reserved_cpus: 0.5, reserved_memory_bytes: 1024, used_cpus: null, used_memory_bytes: 10, containers: 1, tasks: 1 },
    };
    expect(parseUsage(body).get(0)).toEqual({ cpuCapacity: 2, memoryCapacity: 4096, cpuReserved: 0.5, memoryReserved: 1024, memoryUsed: 10 });
    expect(parseUsageTotal(body)).toEqual({ cpuCapacity: 2, memoryCapacity: 4096, cpuReserved: 0.5, memoryReserved: 1024, memoryUsed: 10 });
    expect(parseUsageTotal({ nodes: [] })).toBeUndefined();
  });
  it('leaves unknown figures out and ignores what is not a node list', () => {
    expect(parseUsage({ nodes: [{ index: 0, cpu: { reserved: 1 } }] }).get(0)).toEqual({ cpuReserved: 1 });
    expect(parseUsage({ nodes: [{ name: 'no index' }] }).size).toBe(0);
    expect(parseUsage({ error: { code: 'X' } }).size).toBe(0);
    expect(parseUsage(null).size).toBe(0);
  });
});
