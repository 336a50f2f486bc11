import { describe, expect, it } from 'vitest';
import { splitLog } from './server.js';

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
