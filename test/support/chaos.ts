import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { ApiClient } from './api-client.js';
import { dockerResult } from './gateway-client.js';
import { extractBundle } from './docker-cli.js';
import type { ChaosTarget } from './chaos-target.js';
import { countLabelled } from './server.js';

/**
 * Seeded chaos (issue 15): random operations against a real control plane, a `kill -9` at a random
 * moment after each, a restart, and then the check that every cluster reaches what its last
 * accepted request asked for. Reproducible: the seed fixes the operations and the kill moments.
 */

/** One point: an operation on a cluster slot, and how long after it the control plane is killed. */
export interface ChaosPoint {
  readonly op: 'create' | 'grow' | 'shrink' | 'rebuild' | 'rotate' | 'delete' | 'autoscale';
  readonly slot: number;
  readonly nodes: number;
  readonly killAfterMs: number;
}

/** What the last accepted request of a cluster asked for. */
interface Wanted {
  readonly name: string;
  id: string;
  nodes: number;
  exists: boolean;
}

/** The figures of a run. */
export interface ChaosReport {
  readonly accepted: number;
  /** Points after which every cluster became what was asked in time. */
  readonly converged: number;
  /** Points run (fewer than planned when the time given ran out). */
  readonly points: number;
  /** Milliseconds from the restart until every cluster matched what was asked, one per point. */
  readonly convergeMs: number[];
  readonly failures: string[];
  readonly orphans: string[];
  /** Whom each point killed (with replicas: the leader of the moment). */
  readonly killed: string[];
}

const point = fc.record({
  op: fc.constantFrom('create', 'create', 'grow', 'shrink', 'rebuild', 'rotate', 'delete', 'autoscale'),
  slot: fc.integer({ min: 0, max: 1 }),
  nodes: fc.integer({ min: 1, max: 2 }),
  killAfterMs: fc.integer({ min: 0, max: 2_500 }),
}) as fc.Arbitrary<ChaosPoint>;

/** The points of a run with `seed`. */
export function chaosPlan(seed: number, points: number): ChaosPoint[] {
  return fc.sample(fc.array(point, { minLength: points, maxLength: points }), { seed, numRuns: 1 })[0] ?? [];
}

/**
 * Runs `plan` against `target` (started, with an account whose key is `key`); `log` gets a line per
 * point. With several API URLs (replicas), each point's request goes to one and the checks after the
 * crash to the next, so both answer for the whole control plane. No point starts after `stopAt`
 * (epoch ms): the clusters are then deleted and searched for orphans as after the last point.
 */
export async function runChaos(target: ChaosTarget, key: string, plan: readonly ChaosPoint[], log: (line: string) => void, convergeTimeoutMs = 180_000, stopAt = Infinity): Promise<ChaosReport> {
  const apis = target.apiUrls.map((url) => new ApiClient(url, key));
  let api = apis[0] as ApiClient;
  const wanted: Wanted[] = [0, 1].map((slot) => ({ name: `chaos${slot}`, id: '', nodes: 0, exists: false }));
  const report: ChaosReport = { points: plan.length, accepted: 0, converged: 0, convergeMs: [], failures: [], orphans: [], killed: [] };
  const gone: string[] = [];
  for (const [i, p] of plan.entries()) {
    if (Date.now() >= stopAt) {
      log(`time is up after ${i} points: the rest is not run`);
      (report as { points: number }).points = i;
      break;
    }
    const w = wanted[p.slot] as Wanted;
    const victim = await target.aim();
    const { op, accepted } = await apply(apis[i % apis.length] as ApiClient, w, p);
    if (accepted) (report as { accepted: number }).accepted += 1;
    if (accepted && op === 'delete') gone.push(w.id);
    await sleep(p.killAfterMs);
    const crashed = Date.now();
    await target.crash();
    report.killed.push(victim);
    const started = Date.now();
    api = apis[(i + 1) % apis.length] as ApiClient;
    const problem = await converge(api, wanted, convergeTimeoutMs);
    const convergedMs = Date.now() - started;
    report.convergeMs.push(convergedMs);
    let line = `point ${i + 1}/${plan.length}: ${op} ${w.name}${accepted ? '' : ' (refused)'}, ${victim} killed after ${p.killAfterMs} ms and up again in ${started - crashed} ms, ${problem ?? `converged in ${convergedMs} ms`}`;
    if (problem) report.failures.push(`point ${i + 1} (${op} ${w.name}): ${problem}`);
    else (report as { converged: number }).converged += 1;
    const live = wanted.find((c) => c.exists);
    if (live && !problem) {
      const checked = Date.now();
      const bundle = await bundleWorks(api, live.name);
      if (bundle) report.failures.push(`point ${i + 1}: the credentials bundle of ${live.name} does not work: ${bundle}`);
      line += `; ${live.name}'s bundle ${bundle ? 'FAILED' : 'works'} (${Date.now() - checked} ms)`;
    }
    log(line);
  }
  for (const w of wanted) {
    if (!w.exists) continue;
    await api.request('DELETE', `/v1/clusters/${w.name}`);
    await api.waitGone(w.name, convergeTimeoutMs).catch((e: Error) => report.failures.push(`final delete of ${w.name}: ${e.message}`));
    gone.push(w.id);
  }
  for (const id of new Set(gone)) {
    const left = await countLabelled(`carina.cluster.id=${id}`);
    if (left.containers + left.volumes + left.networks > 0) report.orphans.push(`cluster ${id}: ${JSON.stringify(left)}`);
  }
  return report;
}

/** Sends the point's request: which operation it was, and whether the API accepted it (then it is what the cluster must become). */
async function apply(api: ApiClient, w: Wanted, p: ChaosPoint): Promise<{ op: ChaosPoint['op']; accepted: boolean }> {
  // An empty slot gets a cluster, a full one never a second create: every point changes something.
  const op = !w.exists ? 'create' : p.op === 'create' ? 'grow' : p.op;
  return { op, accepted: await request(api, w, op, p.nodes) };
}

/** Sends `op`; true when the API accepted it. */
async function request(api: ApiClient, w: Wanted, op: ChaosPoint['op'], nodes: number): Promise<boolean> {
  const base = `/v1/clusters/${w.name}`;
  const send = async (method: string, path: string, body?: unknown) => (await api.request(method, path, body).catch(() => ({ status: 0, body: undefined }))) as { status: number; body: any };
  switch (op) {
    case 'create': {
      const res = await send('POST', '/v1/clusters', { name: w.name, nodes });
      if (res.status !== 202) return false;
      Object.assign(w, { id: res.body.id as string, nodes, exists: true });
      return true;
    }
    case 'grow': {
      if (!w.exists || w.nodes >= 3) return false;
      const ok = (await send('POST', `${base}/grow`, { by: 1 })).status === 202;
      if (ok) w.nodes += 1;
      return ok;
    }
    case 'shrink': {
      if (!w.exists || w.nodes <= 1) return false;
      const ok = (await send('PUT', `${base}/nodes`, { count: w.nodes - 1 })).status === 202;
      if (ok) w.nodes -= 1;
      return ok;
    }
    case 'rebuild':
      return w.exists && (await send('POST', `${base}/rebuild`)).status === 202;
    case 'rotate':
      return w.exists && (await send('POST', `${base}/credentials/rotate`)).status === 200;
    case 'autoscale':
      return w.exists && (await send('PUT', `${base}/autoscale`, { enabled: nodes === 2 })).status === 200;
    case 'delete': {
      if (!w.exists) return false;
      const ok = (await send('DELETE', base)).status === 202;
      if (ok) w.exists = false;
      return ok;
    }
  }
}

/** Waits until every cluster is what was asked (active with its Ready nodes, or gone); a reason if not in time. */
async function converge(api: ApiClient, wanted: readonly Wanted[], timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  const rebuilt = new Set<string>();
  while (Date.now() < deadline) {
    const states = await Promise.all(wanted.map(async (w) => ({ w, res: await api.request('GET', `/v1/clusters/${w.name}`).catch(() => ({ status: 0, body: undefined })) })));
    const pending = states.filter(({ w, res }) => {
      if (!w.exists) return res.status !== 404;
      const c = res.body as { status?: string; nodes?: number; nodes_ready?: number } | undefined;
      return !(res.status === 200 && c?.status === 'active' && c.nodes === w.nodes && c.nodes_ready === w.nodes);
    });
    if (pending.length === 0) return undefined;
    for (const { w, res } of pending) {
      const c = res.body as { status?: string; status_reason?: string } | undefined;
      // `error` must carry its reason, and a rebuild must fix it.
      if (w.exists && c?.status === 'error' && !rebuilt.has(w.name)) {
        if (!c.status_reason) return `${w.name} is in error without a reason`;
        rebuilt.add(w.name);
        await api.request('POST', `/v1/clusters/${w.name}/rebuild`);
      }
    }
    last = pending.map(({ w, res }) => `${w.name}: HTTP ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`).join('; ');
    await sleep(250);
  }
  return `not converged within ${timeoutMs / 1000} s: ${last}`;
}

/**
 * Fetches the cluster's bundle and runs `docker ps` through its gateway; a reason if that still fails
 * after 30 s (a replica elected a moment ago takes the lease before it has bound the gateways).
 */
async function bundleWorks(api: ApiClient, name: string): Promise<string | undefined> {
  const res = await api.request('GET', `/v1/clusters/${name}/credentials`);
  if (res.status !== 200) return `credentials: HTTP ${res.status}`;
  const { dir } = await extractBundle(res.body as Buffer);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ps = await dockerResult(dir, ['ps', '-q'], { timeoutMs: 30_000 });
    if (ps.code === 0) return undefined;
    if (Date.now() > deadline) return ps.stderr.trim();
    await sleep(1_000);
  }
}
