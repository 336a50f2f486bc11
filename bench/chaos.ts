/**
 * The long chaos campaign (issue 15): `npm run chaos -- --seed N --points P [--store sqlite|postgres]`.
 * Starts its own control plane (test harness, real engine) — on SQLite, or two replicas on a database
 * of its own on the PostgreSQL at CARINA_TEST_POSTGRES_URL, killing the leader — runs the seeded
 * points, prints the figures docs/reliability.md records, and exits non-zero on any failure or
 * orphan. Needs the node images (run the e2e tests once).
 */
import { parseArgs } from 'node:util';
import { chaosPlan, runChaos } from '../test/support/chaos.js';
import { postgresReplicasTarget, sqliteTarget } from '../test/support/chaos-target.js';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, points: { type: 'string', default: '100' }, store: { type: 'string', default: 'sqlite' }, until: { type: 'string' } } });
// --until 18:20 (UTC): no point starts after it; the run then ends as after its last point (deletes, orphan search).
const stopAt = values.until ? Date.parse(`${new Date().toISOString().slice(0, 10)}T${values.until}:00Z`) : Infinity;
const seed = Number(values.seed);
const points = Number(values.points);
if (values.store !== 'sqlite' && values.store !== 'postgres') throw new Error(`--store is sqlite or postgres, not ${values.store}`);
const postgresUrl = process.env.CARINA_TEST_POSTGRES_URL;
if (values.store === 'postgres' && !postgresUrl) throw new Error('--store postgres needs CARINA_TEST_POSTGRES_URL (e.g. postgres://carina@127.0.0.1:55432/postgres)');
const target = values.store === 'postgres' ? await postgresReplicasTarget(postgresUrl ?? '') : await sqliteTarget();
const date = new Date().toISOString();
try {
  const key = await target.createAccount('chaos', '--clusters', '2', '--nodes', '6');
  const report = await runChaos(target, key, chaosPlan(seed, points), (line) => console.log(`${new Date().toISOString()} ${line}`), 180_000, stopAt);
  const sorted = [...report.convergeMs].sort((a, b) => a - b);
  const leaderMoves = report.killed.filter((k, i) => i > 0 && k !== report.killed[i - 1]).length;
  console.log(JSON.stringify({ target: target.description, date, seed, points: report.points, planned: points, accepted: report.accepted, converged: report.converged, convergeMedianMs: sorted[Math.floor(sorted.length / 2)], convergeMaxMs: sorted.at(-1), leaderChangedPoints: leaderMoves, failures: report.failures, orphans: report.orphans }, null, 2));
  process.exitCode = report.failures.length + report.orphans.length === 0 ? 0 : 1;
} finally {
  await target.cleanup();
}
