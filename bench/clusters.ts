import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type Dockerode from 'dockerode';
import { ApiClient } from '../test/support/api-client.js';
import { dockerWithBundle, extractBundle } from '../test/support/docker-cli.js';
import type { EventRecorder } from './docker.js';
import type { Guard } from './guard.js';

/** A cluster as the API returns it (only what the benchmark reads). */
export interface ApiCluster {
  readonly id: string;
  readonly name: string;
  readonly nodes: number;
  readonly nodes_ready: number | null;
  readonly status: string;
  readonly status_reason: string | null;
  readonly endpoint: string;
}

export interface ApiEvent {
  readonly id: number;
  readonly time: string;
  readonly type: string;
  readonly message: string;
}

/** Poll interval of the status waits: the client-observed figures are late by at most this much. */
export const POLL_MS = 50;

export class BenchApi {
  readonly client: ApiClient;

  constructor(
    url: string,
    key: string,
    readonly guard: Guard,
  ) {
    this.client = new ApiClient(url, key);
  }

  async get(name: string): Promise<{ status: number; cluster?: ApiCluster }> {
    const res = await this.client.request<ApiCluster>('GET', `/v1/clusters/${encodeURIComponent(name)}`);
    return res.status === 200 ? { status: 200, cluster: res.body } : { status: res.status };
  }

  /** Every cluster of the account, following the list's pages. */
  async list(): Promise<ApiCluster[]> {
    const all: ApiCluster[] = [];
    let after: string | null = null;
    do {
      const path: string = after === null ? '/v1/clusters' : `/v1/clusters?after=${encodeURIComponent(after)}`;
      const res = await this.client.request<{ clusters: ApiCluster[]; next: string | null }>('GET', path);
      if (res.status !== 200) throw new Error(`GET /v1/clusters answered ${res.status}`);
      all.push(...res.body.clusters);
      after = res.body.next;
    } while (after !== null);
    return all;
  }

  async events(name: string): Promise<ApiEvent[]> {
    const res = await this.client.request<{ events: ApiEvent[] }>('GET', `/v1/clusters/${encodeURIComponent(name)}/events`);
    if (res.status !== 200) throw new Error(`GET events of ${name} answered ${res.status}`);
    return res.body.events;
  }

  /** Polls GET every POLL_MS until `done`; throws on `error` status or after `timeoutMs`. Returns the wall time it was first seen. */
  async waitFor(name: string, done: (c: ApiCluster) => boolean, timeoutMs: number): Promise<{ cluster: ApiCluster; atWall: number; atPerf: number }> {
    const deadline = performance.now() + timeoutMs;
    let last = '';
    while (performance.now() < deadline) {
      this.guard.check();
      const res = await this.get(name);
      const atPerf = performance.now();
      const atWall = Date.now();
      if (res.cluster) {
        if (done(res.cluster)) return { cluster: res.cluster, atWall, atPerf };
        if (res.cluster.status === 'error') throw new Error(`cluster ${name} went to error: ${res.cluster.status_reason ?? ''}`);
        last = `${res.cluster.status} (${res.cluster.nodes_ready ?? 0}/${res.cluster.nodes} ready)`;
      } else {
        last = `HTTP ${res.status}`;
      }
      await this.guard.sleep(POLL_MS);
    }
    throw new Error(`cluster ${name} not there within ${timeoutMs / 1000} s; last seen: ${last}`);
  }
}

export interface CreateTiming {
  readonly id: string;
  readonly name: string;
  readonly nodes: number;
  /** Wall clock just before the POST was sent. */
  readonly postWall: number;
  /** POST round trip (store insert, PKI, event, gateway listener). */
  readonly postMs: number;
  /** POST sent → GET says active. */
  readonly activeMs: number;
  readonly activeWall: number;
}

/** `POST /v1/clusters` and wait until GET says active with every node Ready. */
export async function createCluster(api: BenchApi, name: string, nodes: number, timeoutMs = 120_000): Promise<CreateTiming> {
  const postWall = Date.now();
  const t0 = performance.now();
  const res = await api.client.request<ApiCluster>('POST', '/v1/clusters', { name, nodes });
  const postMs = performance.now() - t0;
  if (res.status !== 202) throw new Error(`POST /v1/clusters ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
  const seen = await api.waitFor(name, (c) => c.status === 'active' && c.nodes_ready === nodes, timeoutMs);
  return { id: res.body.id, name, nodes, postWall, postMs, activeMs: seen.atPerf - t0, activeWall: seen.atWall };
}

export interface GrowTiming {
  readonly postWall: number;
  readonly growMs: number;
  readonly activeWall: number;
}

/** `POST /v1/clusters/{name}/grow {by: 1}` and wait until active with every node Ready. */
export async function growCluster(api: BenchApi, name: string, to: number, timeoutMs = 120_000): Promise<GrowTiming> {
  const postWall = Date.now();
  const t0 = performance.now();
  const res = await api.client.request('POST', `/v1/clusters/${encodeURIComponent(name)}/grow`, { by: 1 });
  if (res.status !== 202) throw new Error(`grow ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
  const seen = await api.waitFor(name, (c) => c.status === 'active' && c.nodes === to && c.nodes_ready === to, timeoutMs);
  return { postWall, growMs: seen.atPerf - t0, activeWall: seen.atWall };
}

/** Docker objects on the host engine that belong to a cluster. */
export async function countObjects(docker: Dockerode, clusterId: string): Promise<number> {
  const filters = { label: [`carina.cluster.id=${clusterId}`] };
  const [c, v, n] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listVolumes({ filters }), docker.listNetworks({ filters })]);
  return c.length + (v.Volumes ?? []).length + n.length;
}

export interface DeleteTiming {
  /** DELETE → GET answers 404. */
  readonly goneMs: number;
  /** DELETE → GET 404 and no container, volume or network of the cluster left. */
  readonly deleteMs: number;
}

/** `DELETE /v1/clusters/{name}` and wait until the record and every Docker object are gone. */
export async function deleteCluster(api: BenchApi, docker: Dockerode, name: string, id: string, timeoutMs = 120_000): Promise<DeleteTiming> {
  const t0 = performance.now();
  const res = await api.client.request('DELETE', `/v1/clusters/${encodeURIComponent(name)}`);
  if (res.status !== 202) throw new Error(`DELETE ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
  const deadline = t0 + timeoutMs;
  let goneMs: number | undefined;
  while (performance.now() < deadline) {
    api.guard.check();
    if (goneMs === undefined && (await api.get(name)).status === 404) goneMs = performance.now() - t0;
    if (goneMs !== undefined && (await countObjects(docker, id)) === 0) return { goneMs, deleteMs: performance.now() - t0 };
    await api.guard.sleep(POLL_MS);
  }
  throw new Error(`cluster ${name} was not gone within ${timeoutMs / 1000} s`);
}

export interface Verification {
  readonly ready: number;
  /** GET /credentials (zip built on request). */
  readonly bundleMs: number;
  /** `source docker.env; docker node ls` through the TLS endpoint (process start + TLS + proxy + swarm). */
  readonly dockerCliMs: number;
  /** A mutual-TLS handshake with the cluster endpoint alone (node:tls, the bundle's certificates). */
  readonly tlsHandshakeMs: number;
}

/** Counts Ready swarm nodes through the cluster's TLS endpoint with the real docker client. */
export async function verifyReady(api: BenchApi, name: string): Promise<Verification> {
  const t0 = performance.now();
  const res = await api.client.request('GET', `/v1/clusters/${encodeURIComponent(name)}/credentials`);
  if (res.status !== 200 || !Buffer.isBuffer(res.body)) throw new Error(`credentials of ${name} answered ${res.status}`);
  const bundleMs = performance.now() - t0;
  const { dir } = await extractBundle(res.body);
  try {
    const t1 = performance.now();
    const out = await dockerWithBundle(dir, ['node', 'ls', '--format', '{{.Status}}'], 60_000);
    const dockerCliMs = performance.now() - t1;
    const ready = out.split('\n').filter((l) => l.trim() === 'Ready').length;
    const env = readFileSync(join(dir, 'docker.env'), 'utf8');
    const host = /DOCKER_HOST='?tcp:\/\/([^:'"]+):(\d+)/.exec(env);
    if (!host?.[1] || !host[2]) throw new Error(`no DOCKER_HOST in docker.env of ${name}`);
    const tlsHandshakeMs = await handshake(host[1], Number(host[2]), {
      ca: readFileSync(join(dir, 'ca.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
      key: readFileSync(join(dir, 'key.pem')),
    });
    return { ready, bundleMs, dockerCliMs, tlsHandshakeMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function handshake(host: string, port: number, creds: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = tls.connect({ host, port, ...creds, timeout: 10_000 }, () => {
      const ms = performance.now() - t0;
      socket.end();
      resolve(ms);
    });
    socket.once('error', reject);
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`TLS handshake with ${host}:${port} timed out`));
    });
  });
}

/** One phase of a create or grow: how long, between which observed points. */
export interface Phase {
  readonly phase: string;
  readonly ms: number;
}

const at = (events: readonly ApiEvent[], type: string, re?: RegExp): number[] =>
  events.filter((e) => e.type === type && (!re || re.test(e.message))).map((e) => Date.parse(e.time));
const last = (xs: readonly number[]): number | undefined => (xs.length > 0 ? Math.max(...xs) : undefined);
const first = (xs: readonly number[]): number | undefined => (xs.length > 0 ? Math.min(...xs) : undefined);

/** Consecutive differences of the points that were observed; a missing point merges its phase into the next. */
function segments(points: ReadonlyArray<readonly [string, number | undefined]>): Phase[] {
  const out: Phase[] = [];
  let prev: number | undefined;
  let pending: string[] = [];
  for (const [phase, t] of points) {
    if (prev === undefined) {
      prev = t;
      continue;
    }
    pending.push(phase);
    if (t === undefined) continue;
    out.push({ phase: pending.join(' + '), ms: Math.max(0, t - prev) });
    prev = t;
    pending = [];
  }
  return out;
}

export const CREATE_PHASES = [
  'API: key check, store insert, PKI, event',
  'gateway listener opens, reconciler picks the cluster up',
  'network create',
  'node containers create + start',
  'inner dockerd until it answers',
  'swarm init (+ workload image load)',
  'swarm join of the workers',
  'Ready in the swarm, mark active',
  'client sees active (poll)',
] as const;

/**
 * Where a create's time went, from the cluster's event log (created, building, node N started,
 * swarm initialised, node N joined, active: ms timestamps from the control plane) and the host
 * engine's events (network create, container start), on one host clock.
 */
export function createBreakdown(t: CreateTiming, events: readonly ApiEvent[], engine: EventRecorder): Phase[] {
  const prefix = `carina-${t.id}`;
  const engineEvents = engine.of(prefix, t.postWall - 1_000);
  const network = first(engineEvents.filter((e) => e.type === 'network' && e.action === 'create' && e.name === prefix).map((e) => e.timeMs));
  const started = last(engineEvents.filter((e) => e.type === 'container' && e.action === 'start').map((e) => e.timeMs));
  const swarm = first(at(events, 'swarm', /initialised/));
  return segments([
    ['post', t.postWall],
    [CREATE_PHASES[0], first(at(events, 'created'))],
    [CREATE_PHASES[1], first(at(events, 'building'))],
    [CREATE_PHASES[2], network],
    [CREATE_PHASES[3], started],
    [CREATE_PHASES[4], last(at(events, 'node', /started/))],
    [CREATE_PHASES[5], swarm],
    [CREATE_PHASES[6], last(at(events, 'swarm', /joined/)) ?? swarm],
    [CREATE_PHASES[7], first(at(events, 'active'))],
    [CREATE_PHASES[8], t.activeWall],
  ]);
}

export const WARM_CREATE_PHASES = [
  'API: key check, store insert (the shell taken), PKI, event',
  'gateway listener opens, reconciler picks the cluster up',
  'nodes named after the cluster, Ready in the swarm, mark active',
  'client sees active (poll)',
] as const;

/** Where the time of a create that took a warm shell went (docs/warm-pool.md): its nodes and swarm were there already. */
export function warmCreateBreakdown(t: CreateTiming, events: readonly ApiEvent[]): Phase[] {
  return segments([
    ['post', t.postWall],
    [WARM_CREATE_PHASES[0], first(at(events, 'created'))],
    [WARM_CREATE_PHASES[1], first(at(events, 'building'))],
    [WARM_CREATE_PHASES[2], first(at(events, 'active'))],
    [WARM_CREATE_PHASES[3], t.activeWall],
  ]);
}

export const GROW_PHASES = [
  'API: grow recorded',
  'new node container create + start',
  'inner dockerd until it answers',
  'swarm join',
  'Ready in the swarm, mark active',
  'client sees active (poll)',
] as const;

/** Where a grow's time went (events after the grow request only). */
export function growBreakdown(clusterId: string, g: GrowTiming, allEvents: readonly ApiEvent[], engine: EventRecorder): Phase[] {
  const events = allEvents.filter((e) => Date.parse(e.time) >= g.postWall - 5);
  const started = last(engine.of(`carina-${clusterId}-n`, g.postWall).filter((e) => e.type === 'container' && e.action === 'start').map((e) => e.timeMs));
  return segments([
    ['post', g.postWall],
    [GROW_PHASES[0], first(at(events, 'grow'))],
    [GROW_PHASES[1], started],
    [GROW_PHASES[2], last(at(events, 'node', /started/))],
    [GROW_PHASES[3], last(at(events, 'swarm', /joined/))],
    [GROW_PHASES[4], last(at(events, 'active'))],
    [GROW_PHASES[5], g.activeWall],
  ]);
}

/** Per node: its container start (host engine event) → its 'node N started' event (the inner dockerd answered). */
export function engineStartPerNode(clusterId: string, sinceWall: number, events: readonly ApiEvent[], engine: EventRecorder): number[] {
  const out: number[] = [];
  for (const e of events) {
    const m = /^node (\d+) .*started$/.exec(e.message);
    if (e.type !== 'node' || !m) continue;
    const t = Date.parse(e.time);
    if (t < sinceWall) continue;
    const start = engine.of(`carina-${clusterId}-n${m[1]}`, sinceWall).find((x) => x.type === 'container' && x.action === 'start' && x.name === `carina-${clusterId}-n${m[1]}`);
    if (start) out.push(t - start.timeMs);
  }
  return out;
}
