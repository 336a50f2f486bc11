/**
 * The long chaos campaign (issue 15): `npm run chaos -- --seed N --points P`. Starts its own control
 * plane (test harness, real engine), runs the seeded points, prints the figures docs/reliability.md
 * records, and exits non-zero on any failure or orphan. Needs the node images (run the e2e tests once).
 */
import { parseArgs } from 'node:util';
import { chaosPlan, runChaos } from '../test/support/chaos.js';
import { TestServer } from '../test/support/server.js';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, points: { type: 'string', default: '100' } } });
const seed = Number(values.seed);
const points = Number(values.points);
const server = new TestServer('chaos');
try {
  await server.start();
  const key = await server.createAccount('chaos', '--clusters', '2', '--nodes', '6');
  const report = await runChaos(server, key, chaosPlan(seed, points), (line) => console.log(line));
  const sorted = [...report.convergeMs].sort((a, b) => a - b);
  console.log(JSON.stringify({ seed, points, accepted: report.accepted, convergeMedianMs: sorted[Math.floor(sorted.length / 2)], convergeMaxMs: sorted.at(-1), failures: report.failures, orphans: report.orphans }, null, 2));
  process.exitCode = report.failures.length + report.orphans.length === 0 ? 0 : 1;
} finally {
  await server.cleanup();
}
