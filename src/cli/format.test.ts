import { describe, expect, it } from 'vitest';
import { clusterTable, eventLines, flavorsTable, formatTable, quotasTable, redactHeaders, redactText, toJson, toJsonLine, truncate, usageTable } from './format.js';

const cluster = { name: 'testcluster', flavor: 'container1-4G', nodes: 3, autoscale: false, status: 'growing' as const };

describe('tables', () => {
  it("prints Carina's cluster columns", () => {
    expect(clusterTable([cluster])).toBe(
      'ClusterName  Flavor         Nodes  AutoScale  Status\n' + 'testcluster  container1-4G  3      false      growing\n',
    );
  });

  it('collapses to "testcluster  container1-4G  3  false  growing" when split on runs of spaces', () => {
    const row = clusterTable([cluster]).split('\n')[1] ?? '';
    expect(row.split(/\s+/).join('  ')).toBe('testcluster  container1-4G  3  false  growing');
  });

  it('prints just the header for no clusters and never trailing blanks', () => {
    expect(clusterTable([])).toBe('ClusterName  Flavor  Nodes  AutoScale  Status\n');
    expect(formatTable(['A', 'B'], [['long value', '']])).toBe('A           B\nlong value\n');
  });

  it('prints quotas, flavors and events', () => {
    expect(quotasTable({ max_clusters: 3, max_nodes_per_cluster: 5, clusters: 1 })).toBe('MaxClusters  MaxNodesPerCluster  Clusters\n3            5                   1\n');
    const GiB = 1024 ** 3;
    const figures = { capacity_cpus: 2, capacity_memory_bytes: 4 * GiB, reserved_cpus: 0.5, reserved_memory_bytes: GiB, used_cpus: null, used_memory_bytes: 50 * 1024 * 1024, containers: 2, tasks: 1 };
    const table = usageTable({ cluster: 'c', nodes: [{ index: 0, ...figures }], total: figures }).split('\n');
    expect(table[0]).toMatch(/^Node\s+CPU reserved\/used\/capacity\s+Memory reserved\/used\/capacity\s+Containers\s+Tasks$/);
    expect(table[1]).toMatch(/^0\s+0\.50 \/ - \/ 2\.00\s+1024 MiB \/ 50 MiB \/ 4096 MiB\s+2\s+1$/);
    expect(table[2]).toMatch(/^total\s+/);
    expect(flavorsTable([{ name: 'container1-4G', memory_bytes: 4 * 1024 ** 3, memory: '4 GiB', vcpus: 2, disk_gb: 20 }])).toContain('container1-4G  4 GiB   2      20 GB');
    expect(eventLines([{ id: 1, time: 't', type: 'created', message: 'm' }])).toBe('t  created     m\n');
  });

  it('prints JSON documents and JSON lines', () => {
    expect(toJson({ a: 1 })).toBe('{\n  "a": 1\n}\n');
    expect(toJsonLine({ a: 1 })).toBe('{"a":1}\n');
  });
});

describe('redaction', () => {
  it('hides credentials in headers but keeps the scheme', () => {
    expect(redactHeaders([['authorization', 'Basic YWxpY2U6a2V5'], ['accept', 'application/json']])).toEqual([
      'authorization: Basic [redacted]',
      'accept: application/json',
    ]);
    expect(redactHeaders([['Authorization', 'carina_x']])).toEqual(['Authorization: [redacted]']);
  });

  it('hides secrets and private keys in bodies', () => {
    expect(redactText('{"key":"carina_abc_secret"}', ['carina_abc_secret'])).toBe('{"key":"[redacted]"}');
    const pem = '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----';
    expect(redactText(`a ${pem} b`, [])).toBe('a -----BEGIN PRIVATE KEY----- [redacted] b');
    expect(redactText('abc', ['ab', undefined])).toBe('abc');
  });

  it('truncates long bodies', () => {
    expect(truncate('x'.repeat(10), 4)).toBe('xxxx… (6 more characters)');
  });
});
