/**
 * Issue 17's stream figure: 1,000 clients on the live event stream of one API process (the server
 * runs in a child process so its RSS is its own), fed from the store as replicas are: this process
 * appends events to the same store through its own connection, as another replica or the leader
 * would, and the server's one poller reads them. The store is a SQLite file, or with
 * BENCH_EVENT_POSTGRES_URL a scratch database the bench creates on that PostgreSQL server for each
 * run and drops after it (there, another replica's commits wake the server's poller through
 * LISTEN/NOTIFY). Goals: RSS growth ≤ 50 MiB for the 1,000 streams, each event delivered to all of
 * them within 100 ms p99. Measured for each event: from its append's commit to each client's
 * receipt (end to end, poll interval included); to the first client's receipt (how soon the server
 * learnt of the event and read it); and the spread from the first client's receipt to the last (the
 * fan-out itself). Two writers: `other` (this process, as another replica would: the server learns
 * of the events by polling, or on PostgreSQL by its LISTEN) and `same` (the server's own process
 * appends them, as its leader's reconciler does: the store's commit signal wakes its poller).
 * A stream that got none of the events is reported as its client saw it (status, headers, bytes,
 * the first text). BENCH_EVENT_HEARTBEAT_MS (default 15,000, the server's) shortens the heartbeat so
 * that more heartbeats fall while streams are starting (issue 17: a heartbeat before a stream's head).
 * Run with `npm run bench:events`; results go to bench/results/events-*.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { generateApiKey, hashApiKey } from '../src/api/api-keys.js';
import { buildApi } from '../src/api/app.js';
import { stubClusterService } from '../src/api/test-support/stub-cluster-service.js';
import { openStore } from '../src/store/open-store.js';
import { EventStreamParser } from '../src/wire/event-stream.js';
import { onPostgres } from '../test/support/replicas.js';
import { percentile } from './stats.js';

const CLIENTS = Number(process.env.BENCH_EVENT_CLIENTS ?? 1000);
const EVENTS = 30;
const EVENT_GAP_MS = 400;
const POLLS = (process.env.BENCH_EVENT_POLL_MS ?? '250,50').split(',').map(Number);
const WRITERS = (process.env.BENCH_EVENT_WRITERS ?? 'other,same').split(',') as Array<'other' | 'same'>;
const POSTGRES = process.env.BENCH_EVENT_POSTGRES_URL;
const HEARTBEAT_MS = Number(process.env.BENCH_EVENT_HEARTBEAT_MS ?? 15_000);
const RESULTS = new URL('results', import.meta.url).pathname;
const ACCOUNT = 'b0b1b2b3b4b5b6b7';
const log = (line: string) => console.log(`[events ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Child mode: the API alone on the store at `url`, listening on a free port it prints. */
async function serve(url: string, pollMs: number, heartbeatMs: number): Promise<void> {
  const store = await openStore({ url });
  // Its ids are never drawn: the benchmark writes its cluster and events straight to the store.
  const clusters = stubClusterService(store, { ports: { from: 47150, to: 47199 } });
  const limits = { headersTimeoutMs: 15_000, requestTimeoutMs: 30_000, maxConnections: 0, maxConnectionsPerAddress: 0 };
  const app = await buildApi({ store, clusters, advertiseAddress: '127.0.0.1', version: 'bench', log: (l) => console.error(l), limits, eventStreams: { pollMs, heartbeatMs } });
  console.log(await app.listen({ host: '127.0.0.1', port: 0 }));
  // `append CLUSTER N` on stdin: the server's own process appends an event, and says its id and commit time.
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [verb, clusterId = '', n = ''] = line.split(' ');
    if (verb !== 'append') return;
    void store.events.append(clusterId, 'bench', `event ${n}`).then((e) => console.log(`appended ${e.id} ${performance.timeOrigin + performance.now()}`));
  });
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An empty store for one run, and how to remove it. */
async function freshStore(): Promise<{ url: string; remove(): Promise<void> }> {
  if (POSTGRES === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'sse-bench-'));
    return { url: `sqlite:${join(dir, 'carina.db')}`, remove: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) };
  }
  const name = `carina_events_bench_${process.pid}_${Date.now()}`;
  await onPostgres(POSTGRES, `CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES);
  url.pathname = `/${name}`;
  return { url: url.toString(), remove: () => onPostgres(POSTGRES, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** One client: its stream, and when each event id reached it (ms since the epoch, fractional). */
interface Client {
  /** Its X-Request-Id (the server's log lines name it). */
  readonly id: string;
  readonly got: Map<number, number>;
  status?: number;
  headers?: IncomingMessage['headers'];
  bytes: number;
  /** The first 200 characters it received. */
  text: string;
  res?: IncomingMessage;
  /** Why its stream ended before the bench closed it (the server ended it, the connection failed). */
  lost?: string;
}

function connect(base: string, key: string, path: string, after: number, id: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client: Client = { id, got: new Map(), bytes: 0, text: '' };
    const parser = new EventStreamParser();
    const headers = { authorization: `Bearer ${key}`, accept: 'text/event-stream', 'x-request-id': id };
    const req = request(`${base}${path}?after=${after}`, { headers, agent: false });
    req.on('error', (error) => {
      client.lost ??= error.message;
      reject(error);
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
      client.res = res;
      client.status = res.statusCode;
      client.headers = res.headers;
      res.on('close', () => (client.lost ??= res.complete ? 'ended by the server' : 'closed'));
      res.setEncoding('utf8');
      let first = true;
      res.on('data', (text: string) => {
        const at = performance.timeOrigin + performance.now();
        client.bytes += Buffer.byteLength(text);
        if (client.text.length < 200) client.text += text.slice(0, 200 - client.text.length);
        for (const m of parser.push(text)) client.got.set(Number(m.lastEventId), at);
        if (first) {
          first = false;
          resolve(client);
        }
      });
    });
    req.end();
  });
}

async function run(pollMs: number, writer: 'other' | 'same'): Promise<Record<string, unknown>> {
  const fresh = await freshStore();
  const url = fresh.url;
  const store = await openStore({ url });
  const key = generateApiKey(ACCOUNT);
  await store.accounts.create({ id: ACCOUNT, name: 'ssebench', keyHash: await hashApiKey(key), quotaClusters: 5, quotaNodes: 5 });
  const cluster = await store.clusters.createWithinQuota(
    { id: 'ssebench0001', accountId: ACCOUNT, name: 'ssebench', flavor: 'container1-4G', nodeCount: 1, autoscale: false, createdEvent: 'seeded for the events benchmark' },
    { from: 47150, to: 47199 },
  );
  let child: ChildProcess | undefined;
  const clients: Client[] = [];
  try {
    child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', url, String(pollMs), String(HEARTBEAT_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const pid = child.pid ?? 0;
    child.on('exit', (code, signal) => log(`server exited: ${code ?? signal}`));
    const lines = createInterface({ input: child.stdout! });
    const base = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child!.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    // The server's own appends, as it reports them: id → commit time.
    const ownAppends = new Map<number, number>();
    let ownAppended: () => void = () => undefined;
    lines.on('line', (line) => {
      const [word, id, at] = line.split(' ');
      if (word !== 'appended') return;
      ownAppends.set(Number(id), Number(at));
      ownAppended();
    });
    const appendInServer = (n: number) =>
      new Promise<void>((resolve) => {
        ownAppended = resolve;
        child!.stdin!.write(`append ${cluster.id} ${n}\n`);
      });
    await sleep(1000);
    const idle: number[] = [];
    for (let i = 0; i < 5; i++, await sleep(100)) idle.push(rssMiB(pid));
    const before = Math.max(...idle);
    const after = await store.events.lastId();
    log(`${POSTGRES === undefined ? 'sqlite' : 'postgres'}, poll ${pollMs} ms, ${writer} writer: server ${pid} at ${base}, RSS ${before.toFixed(1)} MiB idle; connecting ${CLIENTS} clients`);
    // Half follow the cluster, half the account's stream: two presentations, one poller.
    for (let i = 0; i < CLIENTS; i += 50) {
      const batch = Array.from({ length: Math.min(50, CLIENTS - i) }, (_, j) => connect(base, key, (i + j) % 2 === 0 ? '/v1/clusters/ssebench/events' : '/v1/events', after, `bench-${i + j}`));
      clients.push(...(await Promise.all(batch)));
    }
    await sleep(1000);
    const connected = rssMiB(pid);
    log(`${clients.length} streams open: RSS ${connected.toFixed(1)} MiB (+${(connected - before).toFixed(1)})`);
    const appended = writer === 'same' ? ownAppends : new Map<number, number>();
    for (let n = 0; n < EVENTS; n++) {
      if (writer === 'same') await appendInServer(n);
      else {
        const e = await store.events.append(cluster.id, 'bench', `event ${n}`);
        appended.set(e.id, performance.timeOrigin + performance.now());
      }
      await sleep(EVENT_GAP_MS);
    }
    await sleep(1000);
    const peak = rssMiB(pid);
    // Missed events are told apart: streams that died (and how) from open streams an event did not reach.
    const lost = clients.filter((c) => c.lost !== undefined).map((c) => c.lost);
    const none = clients.filter((c) => ![...appended.keys()].some((id) => c.got.has(id)));
    // How each such stream looked to its client: a 200 without the stream's content type is one whose head never came.
    const noEvent = none.map((c) => ({ id: c.id, status: c.status, contentType: c.headers?.['content-type'] ?? null, bytes: c.bytes, lost: c.lost ?? null, text: c.text }));
    const e2e: number[] = [];
    const spreads: number[] = [];
    const firsts: number[] = [];
    let missing = 0;
    for (const [id, at] of appended) {
      const times = clients.map((c) => c.got.get(id)).filter((t): t is number => t !== undefined);
      missing += clients.length - times.length;
      for (const t of times) e2e.push(t - at);
      if (times.length > 0) {
        spreads.push(Math.max(...times) - Math.min(...times));
        firsts.push(Math.min(...times) - at);
      }
    }
    const result = {
      store: POSTGRES === undefined ? 'sqlite' : 'postgres',
      pollMs,
      writer,
      clients: clients.length,
      events: EVENTS,
      missing,
      streamsLost: lost.length,
      streamsLostHow: [...new Set(lost)],
      clientsWithNoEvent: none.length,
      noEventStreams: noEvent.slice(0, 20),
      rssIdleMiB: +before.toFixed(1),
      rssConnectedMiB: +connected.toFixed(1),
      rssAfterEventsMiB: +peak.toFixed(1),
      rssGrowthMiB: +(Math.max(connected, peak) - before).toFixed(1),
      endToEndMs: { p50: +percentile(e2e, 50).toFixed(1), p99: +percentile(e2e, 99).toFixed(1), max: +Math.max(...e2e).toFixed(1) },
      firstReceiptMs: { p50: +percentile(firsts, 50).toFixed(1), p99: +percentile(firsts, 99).toFixed(1), max: +Math.max(...firsts).toFixed(1) },
      fanOutSpreadMs: { p50: +percentile(spreads, 50).toFixed(1), p99: +percentile(spreads, 99).toFixed(1), max: +Math.max(...spreads).toFixed(1) },
    };
    log(JSON.stringify(result));
    return result;
  } finally {
    for (const c of clients) c.res?.destroy();
    const exited = child && child.exitCode === null ? new Promise((resolve) => child!.once('exit', resolve)) : undefined;
    child?.kill('SIGTERM');
    await exited;
    await store.close();
    await fresh.remove();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') return serve(process.argv[3] ?? '', Number(process.argv[4]), Number(process.argv[5]));
  const started = new Date();
  const loadavgAtStart = loadavg();
  const runs = [];
  for (const pollMs of POLLS) for (const writer of WRITERS) runs.push(await run(pollMs, writer));
  const id = `events-${started.toISOString().replace(/[:.]/g, '-')}`;
  const out = { id, started: started.toISOString(), heartbeatMs: HEARTBEAT_MS, machine: { cpus: cpus().length, loadavgAtStart, loadavg: loadavg() }, runs };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${id}.json`), `${JSON.stringify(out, null, 2)}\n`);
  log(`wrote bench/results/${id}.json`);
}

await main();
