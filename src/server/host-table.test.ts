import { describe, expect, it } from 'vitest';
import type { HostUsage } from '../core/host-capacity.js';
import { hostJson, hostTable } from './host-table.js';

const GiB = 1024 ** 3;
const at = new Date('2030-01-02T03:04:05.678Z');
const usage = (name: string, extra: Partial<HostUsage['host']>, nodes: number, cpus: number, memoryGib: number): HostUsage => ({
  host: {
    name,
    dockerHost: `tcp://10.0.0.${name.slice(1)}:2376`,
    tlsDir: `/etc/carina/hosts/${name}`,
    state: 'ready',
    allocatableNanoCpus: 8e9,
    allocatableMemoryBytes: 31.25 * GiB,
    createdAt: at,
    updatedAt: at,
    lastSeenAt: at,
    ...extra,
  },
  nodes,
  reservedNanoCpus: cpus * 1e9,
  reservedMemoryBytes: memoryGib * GiB,
});

describe('hosts list', () => {
  it('shows reserved / allocatable CPU and memory per host, "never" for a host never seen', () => {
    const rows = hostTable([usage('h1', {}, 3, 6, 12), usage('h2', { state: 'draining', lastSeenAt: null, allocatableNanoCpus: 1.5e9, allocatableMemoryBytes: 4 * GiB }, 0, 0, 0)]);
    expect(rows.map((r) => r.split('\t'))).toEqual([
      ['NAME', 'ADDRESS', 'STATE', 'NODES', 'CPU', 'MEMORY', 'LAST-SEEN'],
      ['h1', 'tcp://10.0.0.1:2376', 'ready', '3', '6 / 8', '12 / 31.25 GiB', '2030-01-02T03:04:05.678Z'],
      ['h2', 'tcp://10.0.0.2:2376', 'draining', '0', '0 / 1.5', '0 / 4 GiB', 'never'],
    ]);
  });

  it('is only its header with no host', () => {
    expect(hostTable([])).toEqual(['NAME\tADDRESS\tSTATE\tNODES\tCPU\tMEMORY\tLAST-SEEN']);
  });

  it('--json gives raw figures for scripts', () => {
    expect(hostJson(usage('h1', { lastSeenAt: null }, 2, 4, 8))).toEqual({
      name: 'h1',
      docker_host: 'tcp://10.0.0.1:2376',
      tls_dir: '/etc/carina/hosts/h1',
      state: 'ready',
      nodes: 2,
      reserved_nano_cpus: 4e9,
      allocatable_nano_cpus: 8e9,
      reserved_memory_bytes: 8 * GiB,
      allocatable_memory_bytes: 31.25 * GiB,
      last_seen_at: null,
      created_at: '2030-01-02T03:04:05.678Z',
    });
  });
});
