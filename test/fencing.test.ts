import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { onPostgres, roleOf, waitForRole } from './support/replicas.js';
import { seededRandom } from './support/seeded-random.js';
import { nodeDocker, TestServer } from './support/server.js';

// Issue 15 part 2, a leader paused, not dead: two replicas on one PostgreSQL store. At a seeded moment
// of a create / grow / resize / delete the leader is SIGSTOPped for longer than its lease; the standby
// takes over and changes the cluster (grows it, or creates it again); then the old leader gets SIGCONT
// at a seeded moment of that change. Whatever the old leader had in flight must not land: no duplicate
// node, no node of the new leader's removed, no status written over the new leader's, and it ends as
// standby. CARINA_FENCING_POINTS (default 3, about 100 s; the long run: 20) and CARINA_FENCING_SEED choose the points.
const postgresUrl = process.env.CARINA_TEST_POSTGRES_URL;
const POINTS = Number(process.env.CARINA_FENCING_POINTS ?? 3);
const SEED = Number(process.env.CARINA_FENCING_SEED ?? 20261202);
const LEASE_TTL_MS = 3_000;

/** The node containers of a cluster on the engine: id and node index. */
async function containersOf(clusterId: string): Promise<{ id: string; index: string }[]> {
  const list = await nodeDocker.listContainers({ all: true, filters: { label: [`carina.cluster.id=${clusterId}`] } });
  return list.filter((c) => c.Labels['carina.node.index'] !== undefined).map((c) => ({ id: c.Id, index: c.Labels['carina.node.index'] ?? '' }));
}

type Op = 'create' | 'grow' | 'resize' | 'delete';

describe.skipIf(!postgresUrl)(`a leader paused past its lease (SIGSTOP), then resumed: ${POINTS} seeded points (seed ${SEED})`, () => {
  const database = `carina_e2e_fencing_${process.pid}`;
  const random = seededRandom(SEED);
  const NAME = 'fence';
  let replicas: [TestServer, TestServer];
  let key = '';
  /** The cluster's desired node count, or 0 when it does not exist. */
  let nodes = 0;
  const refusedLines: number[] = [];

  beforeAll(async () => {
    await onPostgres(postgresUrl, `DROP DATABASE IF EXISTS ${database}`);
    await onPostgres(postgresUrl, `CREATE DATABASE ${database}`);
    const url = new URL(postgresUrl ?? '');
    url.pathname = `/${database}`;
    const a = new TestServer('fencing', { env: { CARINA_DATABASE_URL: url.toString(), CARINA_LEASE_TTL_MS: String(LEASE_TTL_MS), CARINA_RECONCILE_INTERVAL_MS: '2000' } });
    const b = new TestServer('fencing', { replicaOf: a });
    await a.start();
    await waitForRole(a, 'leader', 10_000);
    await b.start();
    replicas = [a, b];
    key = await a.createAccount('alice');
  });
  afterAll(async () => {
    for (const r of replicas ?? []) r.signal('SIGCONT');
    await replicas?.[1].cleanup();
    await replicas?.[0].cleanup();
    await onPostgres(postgresUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    if (refusedLines.length > 0) console.log(`fencing: fenced refusals logged by resumed leaders per point: ${refusedLines.join(' ')}`);
  });

  /** The operation the paused leader is in the middle of, by the cluster's size. */
  function chooseOp(): Op {
    if (nodes === 0) return 'create';
    const r = random();
    if (nodes === 1) return r < 0.7 ? 'grow' : 'delete';
    if (nodes >= 3) return r < 0.7 ? 'resize' : 'delete'; // the new leader grows by one more: within the quota of 5
    return r < 0.6 ? 'resize' : r < 0.8 ? 'grow' : 'delete';
  }

  async function start(api: ApiClient, op: Op): Promise<void> {
    const res =
      op === 'create' ? await api.request('POST', '/v1/clusters', { name: NAME, nodes: 1 })
      : op === 'grow' ? await api.request('POST', `/v1/clusters/${NAME}/grow`, { by: 1 })
      : op === 'resize' ? await api.request('PUT', `/v1/clusters/${NAME}/nodes`, { count: 1 })
      : await api.request('DELETE', `/v1/clusters/${NAME}`);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    nodes = op === 'create' ? 1 : op === 'grow' ? nodes + 1 : op === 'resize' ? 1 : 0;
  }

  for (let point = 1; point <= POINTS; point++) {
    it(`point ${point}: the resumed old leader finishes nothing it started, and stands by`, async () => {
      const [a, b] = replicas;
      const leader = (await roleOf(a)) === 'leader' ? a : b;
      const standby = leader === a ? b : a;
      const viaLeader = new ApiClient(leader.url, key);
      const viaStandby = new ApiClient(standby.url, key);
      // Settled first: the leader may still be repairing what the last point left (a stale swarm member).
      if (nodes === 0) await viaLeader.waitGone(NAME, 60_000);
      else await viaLeader.waitFor(NAME, (c) => c.status === 'active' && c.nodes_ready === nodes, 120_000);
      const op = chooseOp();
      const pauseAfterMs = Math.floor(random() * 2_500);
      const resumeAfterMs = Math.floor(random() * 3_000);
      // 1. The leader works on the request; at a seeded moment it is paused, longer than its lease.
      await start(viaLeader, op);
      const change: Op = nodes === 0 ? 'create' : 'grow';
      console.log(`fencing: point ${point}: ${op}, paused ${pauseAfterMs} ms in; the new leader then ${change}s, resumed ${resumeAfterMs} ms into that`);
      await sleep(pauseAfterMs);
      const logBefore = readFileSync(leader.logFile, 'utf8').length;
      leader.signal('SIGSTOP');
      try {
        await waitForRole(standby, 'leader', LEASE_TTL_MS * 4);
        // 2. The new leader finishes (or undoes) what the old one was doing, then changes the cluster.
        if (nodes === 0) await viaStandby.waitGone(NAME, 120_000);
        else await viaStandby.waitFor(NAME, (c) => c.status === 'active' && c.nodes_ready === nodes, 180_000);
        await start(viaStandby, change);
        await sleep(resumeAfterMs);
      } finally {
        leader.signal('SIGCONT');
      }

      // 3. From the resume on, nothing the new leader made may disappear, and the cluster may not be
      // called active before the nodes it asked for are Ready (a status written back by the old leader).
      const seen = new Map<string, string>();
      const removed: string[] = [];
      const early: string[] = [];
      let cluster: any;
      const deadline = Date.now() + 180_000;
      for (;;) {
        const res = await viaStandby.request('GET', `/v1/clusters/${NAME}`);
        expect(res.status).toBe(200);
        cluster = res.body;
        const now = await containersOf(cluster.id);
        for (const [id, index] of seen) {
          if (now.some((c) => c.id === id)) continue;
          removed.push(`node ${index} (${id.slice(0, 12)})`);
          seen.delete(id);
        }
        for (const c of now) seen.set(c.id, c.index);
        if (cluster.status === 'active' && cluster.nodes_ready !== cluster.nodes) early.push(`active with ${cluster.nodes_ready}/${cluster.nodes} Ready`);
        expect(cluster.status).not.toBe('error');
        if (cluster.status === 'active' && cluster.nodes_ready === nodes) break;
        if (Date.now() > deadline) throw new Error(`not converged: ${JSON.stringify(cluster)}`);
        await sleep(250);
      }
      // Settled: a moment more in which the old leader could still write something back.
      await sleep(1_500);
      const settled = (await viaStandby.request('GET', `/v1/clusters/${NAME}`)).body;
      const containers = await containersOf(cluster.id);
      for (const [id, index] of seen) if (!containers.some((c) => c.id === id)) removed.push(`node ${index} (${id.slice(0, 12)})`);

      expect(removed, 'nodes removed after the old leader resumed').toEqual([]);
      expect(early, 'active before its nodes were Ready').toEqual([]);
      expect(settled).toMatchObject({ status: 'active', nodes, nodes_ready: nodes });
      // No duplicate node: one container per index, the indexes the cluster has, and the store says the same.
      expect(containers.map((c) => c.index).sort()).toEqual(Array.from({ length: nodes }, (_, i) => String(i)));
      expect((settled.node_details as { index: number }[]).map((n) => n.index).sort()).toEqual(Array.from({ length: nodes }, (_, i) => i));
      // The old leader stands by, and the new one still leads.
      await waitForRole(leader, 'standby', LEASE_TTL_MS * 2);
      expect(await roleOf(standby)).toBe('leader');
      const after = readFileSync(leader.logFile, 'utf8').slice(logBefore);
      expect(after).toMatch(/stands by/);
      refusedLines.push((after.match(/stopped: refused a step/g) ?? []).length);
    });
  }
});
