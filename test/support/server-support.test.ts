import { describe, expect, it } from 'vitest';
import { endpointBase, splitLog } from './server.js';

// What a failing e2e test prints of its servers' logs (test/support/failure-report.ts): the parts'
// own lines, not the test's polling requests.
describe("a server log's lines for a failure report", () => {
  it('sets the API and gateway request lines apart from what the parts said', () => {
    const lines = [
      '{"level":"info","component":"api","reqId":"a","method":"GET","path":"/v1/clusters/fix","status":200,"ms":2.7,"msg":"GET /v1/clusters/fix 200 (2.7 ms)"}',
      '{"level":"warn","component":"reconciler","clusterId":"c1","msg":"node 2: join failed (retrying): Timeout was reached before node joined"}',
      '{"level":"info","reqId":"b","clusterId":"c1","method":"GET","path":"/v1.41/nodes","status":200,"ms":2.8,"component":"gateway","msg":"GET /v1.41/nodes 200"}',
      '{"level":"info","component":"api","msg":"listening on 127.0.0.1:18001"}',
      'a line that is not JSON',
    ];
    const { said, requests } = splitLog(`${lines.join('\n')}\n`);
    expect(said).toEqual([lines[1], lines[3], lines[4]]);
    expect(requests).toEqual([lines[0], lines[2]]);
  });
});

describe("test servers' endpoint ports", () => {
  it('never overlap, and keep clear of the ephemeral ports, the default range and the benchmarks', () => {
    const ranges = Array.from({ length: 700 }, (_, slot) => [endpointBase(slot), endpointBase(slot) + 14] as const);
    const clash = (a: readonly [number, number], b: readonly [number, number]) => a[0] <= b[1] && b[0] <= a[1];
    for (const r of ranges) {
      expect(r[1]).toBeLessThan(32768);
      expect(r[0]).toBeGreaterThanOrEqual(20000);
      expect(clash(r, [23760, 24759]) || clash(r, [26000, 26999])).toBe(false);
    }
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect((sorted[i] as readonly [number, number])[0]).toBeGreaterThan((sorted[i - 1] as readonly [number, number])[1]);
  });
});
