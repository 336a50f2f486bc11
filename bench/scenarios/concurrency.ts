import { performance } from 'node:perf_hooks';
import type Dockerode from 'dockerode';
import { BenchApi, countObjects, POLL_MS, verifyReady, type ApiCluster } from '../clusters.js';
import type { Guard } from '../guard.js';
import { BenchServer } from '../server.js';
import { summarize, type Summary } from '../stats.js';

export interface ConcurrencyRun {
  readonly run: number;
  /** All POSTs sent at once → the last cluster seen active (or the timeout). */
  readonly allActiveMs: number;
  /** Per cluster: POST → seen active. */
  readonly perClusterMs: number[];
  /** Refused POSTs, clusters in error, clusters not active in time, clusters with fewer Ready nodes via TLS. */
  readonly errors: string[];
  /** DELETE of all at once → every record and object gone. */
  readonly deleteAllMs: number;
}

export interface ConcurrencyResult {
  readonly clusters: number;
  readonly nodes: number;
  readonly runs: ConcurrencyRun[];
  readonly allActiveMs?: Summary | undefined;
  readonly perClusterMs?: Summary | undefined;
  readonly deleteAllMs?: Summary | undefined;
  readonly errorCount: number;
}

/**
 * `clusters` concurrent creates of `nodes` nodes each: time until all are active (one
 * `GET /v1/clusters` every 100 ms, so 10 clusters don't mean 10 pollers), and errors.
 */
export async function runConcurrency(opts: {
  docker: Dockerode;
  guard: Guard;
  runs: number;
  clusters: number;
  nodes: number;
  timeoutMs: number;
  logDir: string;
  log: (line: string) => void;
}): Promise<ConcurrencyResult> {
  const { docker, guard, log } = opts;
  const server = new BenchServer({ name: 'concurrency', portRange: { from: 26100, to: 26100 + opts.clusters + 9 }, logDir: opts.logDir }, docker, guard);
  const runs: ConcurrencyRun[] = [];
  try {
    const key = await server.createAccount('bench', '--clusters', String(opts.clusters), '--nodes', String(opts.nodes));
    await server.start();
    const api = new BenchApi(server.url, key, guard);
    let stop = false;
    for (let run = 1; run <= opts.runs && !guard.signal.aborted && !stop; run++) {
      const names = Array.from({ length: opts.clusters }, (_, i) => `c${run}-${i}`);
      const errors: string[] = [];
      const ids = new Map<string, string>();
      const t0 = performance.now();
      const posted = await Promise.all(
        names.map(async (name) => {
          const res = await api.client.request<ApiCluster>('POST', '/v1/clusters', { name, nodes: opts.nodes }).catch((e: unknown) => ({ status: 0, body: String(e) }));
          if (res.status !== 202) errors.push(`${name}: POST answered ${res.status}`);
          else ids.set(name, (res.body as ApiCluster).id);
          return res.status === 202 ? name : undefined;
        }),
      );
      const pending = new Set(posted.filter((n): n is string => n !== undefined));
      const activeAt = new Map<string, number>();
      const deadline = t0 + opts.timeoutMs;
      while (pending.size > 0 && performance.now() < deadline && !guard.signal.aborted) {
        const list = await api.list().catch(() => [] as ApiCluster[]);
        const now = performance.now();
        for (const c of list) {
          if (!pending.has(c.name)) continue;
          if (c.status === 'active' && c.nodes_ready === opts.nodes) {
            activeAt.set(c.name, now - t0);
            pending.delete(c.name);
          } else if (c.status === 'error') {
            errors.push(`${c.name}: error: ${c.status_reason ?? ''}`);
            pending.delete(c.name);
          }
        }
        if (pending.size > 0) await guard.sleep(Math.max(POLL_MS, 100)).catch(() => undefined);
      }
      const allActiveMs = pending.size > 0 || activeAt.size === 0 ? performance.now() - t0 : Math.max(...activeAt.values());
      for (const name of pending) errors.push(`${name}: not active within ${Math.round(opts.timeoutMs / 1000)} s`);
      // Every node Ready through the cluster's own TLS endpoint with the real docker client (not timed).
      for (const name of activeAt.keys()) {
        if (guard.signal.aborted) break;
        const v = await verifyReady(api, name).catch((e: unknown) => ({ ready: -1, error: String(e) }));
        if (v.ready !== opts.nodes) errors.push(`${name}: ${v.ready} of ${opts.nodes} nodes Ready via TLS`);
      }
      log(`concurrency run ${run}/${opts.runs}: ${activeAt.size}/${opts.clusters} × ${opts.nodes} nodes active in ${(allActiveMs / 1000).toFixed(1)} s, ${errors.length} error(s)`);
      for (const e of errors) log(`  ${e}`);

      const d0 = performance.now();
      await Promise.all(names.map((name) => api.client.request('DELETE', `/v1/clusters/${name}`).catch(() => undefined)));
      const deleteDeadline = d0 + 180_000;
      for (;;) {
        const left = await api.list().catch(() => [{} as ApiCluster]);
        const objects = left.length === 0 ? (await Promise.all([...ids.values()].map((id) => countObjects(docker, id)))).reduce((a, b) => a + b, 0) : 1;
        if (left.length === 0 && objects === 0) break;
        if (performance.now() > deleteDeadline) {
          errors.push(`not every cluster was deleted within 180 s`);
          stop = true;
          break;
        }
        if (guard.signal.aborted) break;
        await guard.sleep(200).catch(() => undefined);
      }
      const deleteAllMs = performance.now() - d0;
      log(`concurrency run ${run}/${opts.runs}: all deleted in ${(deleteAllMs / 1000).toFixed(1)} s`);
      if (!guard.signal.aborted) runs.push({ run, allActiveMs, perClusterMs: [...activeAt.values()], errors, deleteAllMs });
    }
  } finally {
    await server.cleanup();
  }
  return {
    clusters: opts.clusters,
    nodes: opts.nodes,
    runs,
    allActiveMs: summarize(runs.map((r) => r.allActiveMs)),
    perClusterMs: summarize(runs.flatMap((r) => r.perClusterMs)),
    deleteAllMs: summarize(runs.map((r) => r.deleteAllMs)),
    errorCount: runs.reduce((a, r) => a + r.errors.length, 0),
  };
}
