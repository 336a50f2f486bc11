/**
 * Clusters over several Docker hosts (issue 13), on 3 simulated hosts (scripts/sim-hosts.sh):
 * - a 3-node create spread over 3 hosts against a 3-node create on one host (the other two drained),
 *   the same control plane, alternated, REPS each; goal: ratio of medians ≤ 1.5;
 * - a host killed under an active 3-node cluster (the host of node 2) → the cluster `active` again
 *   with 3 Ready nodes, with the default CARINA_HOST_DOWN_AFTER_MS (30 s); goal ≤ 60 s.
 * The node image is copied to each host once before anything is timed. `npm run bench:multi-host`;
 * results in bench/results/multi-host-*.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../test/support/api-client.js';
import { TestServer } from '../test/support/server.js';
import { parseHosts, SimFleet } from '../test/support/sim-hosts.js';
import { percentile } from './stats.js';

const REPS = Number(process.env.BENCH_REPS ?? 3);

const fleet = new SimFleet('bench');
const server = new TestServer('benchmh', { env: { CARINA_DEFAULT_QUOTA_CLUSTERS: '20', CARINA_DEFAULT_QUOTA_NODES: '5' } });
let n = 0;

/** Creates a 3-node cluster, returns seconds from the request to `active` with 3 Ready nodes, deletes it. */
async function timedCreate(api: ApiClient): Promise<number> {
  const name = `b${++n}`;
  const started = Date.now();
  const res = await api.request('POST', '/v1/clusters', { name, nodes: 3 });
  if (res.status !== 202) throw new Error(`create ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  await api.waitFor(name, activeWith3, 300_000);
  const seconds = (Date.now() - started) / 1000;
  await api.request('DELETE', `/v1/clusters/${name}`);
  await api.waitGone(name, 120_000);
  return seconds;
}

const median = (xs: number[]) => percentile(xs, 50);
/** A cluster as GET /v1/clusters/{name} answers (the fields waited on). */
type Seen = { status: string; nodes_ready: number };
const activeWith3 = (c: Seen) => c.status === 'active' && c.nodes_ready === 3;

try {
  const hosts = parseHosts(await fleet.sim('up', '3'));
  await server.start();
  for (const h of hosts) await server.admin('hosts', 'add', h.name, '--docker-host', h.dockerHost, '--tls-dir', h.tlsDir);
  const api = new ApiClient(server.url, await server.createAccount('bench'));
  // Warm-up: the node image reaches every host, the hosts' swarm forms.
  process.stderr.write(`warm-up create: ${(await timedCreate(api)).toFixed(1)} s\n`);

  const spread: number[] = [];
  const oneHost: number[] = [];
  const [, second, third] = hosts;
  for (let i = 0; i < REPS; i++) {
    spread.push(await timedCreate(api));
    await server.admin('hosts', 'drain', second!.name);
    await server.admin('hosts', 'drain', third!.name);
    oneHost.push(await timedCreate(api));
    await server.admin('hosts', 'ready', second!.name);
    await server.admin('hosts', 'ready', third!.name);
    process.stderr.write(`rep ${i + 1}: spread ${spread.at(-1)!.toFixed(1)} s, one host ${oneHost.at(-1)!.toFixed(1)} s\n`);
  }

  // A host lost under an active cluster, with the default down threshold.
  const res = await api.request('POST', '/v1/clusters', { name: 'victim', nodes: 3 });
  if (res.status !== 202) throw new Error(`create victim: ${res.status}`);
  await api.waitFor('victim', activeWith3, 300_000);
  const killedAt = Date.now();
  await fleet.sim('kill', third!.name);
  await api.waitFor('victim', (c: Seen) => c.status === 'rebuilding', 120_000);
  await api.waitFor('victim', activeWith3, 300_000);
  const recoverySeconds = (Date.now() - killedAt) / 1000;
  process.stderr.write(`host killed → active, 3 Ready: ${recoverySeconds.toFixed(1)} s\n`);

  const results = {
    at: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    nproc: cpus().length,
    loadAtEnd: loadavg()[0],
    reps: REPS,
    create3: {
      spreadSeconds: spread,
      oneHostSeconds: oneHost,
      medianSpread: median(spread),
      medianOneHost: median(oneHost),
      ratio: median(spread) / median(oneHost),
      goalRatio: 1.5,
    },
    hostLoss: { downAfterMs: 30_000, killToActiveSeconds: recoverySeconds, goalSeconds: 60 },
  };
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(join(dir, `multi-host-${results.at.replace(/[:.]/g, '-')}.json`), json);
  writeFileSync(join(dir, 'multi-host-latest.json'), json);
  process.stdout.write(json);
} finally {
  await server.cleanup();
  await fleet.sim('down');
}
