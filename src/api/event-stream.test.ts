import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { Store } from '../core/ports.js';
import { openStore } from '../store/open-store.js';
import { describeStoreContract } from '../store/test-support/store-contract.js';
import { EventStreamParser, type StreamMessage } from '../wire/event-stream.js';
import { generateApiKey, hashApiKey } from './api-keys.js';
import { buildApi } from './app.js';
import { stubClusterService } from './test-support/stub-cluster-service.js';

const ANY_STRING: unknown = expect.any(String);
const MENTIONS_HEADER: unknown = expect.stringContaining('Last-Event-ID');

// The live event stream over real HTTP on a real store (SQLite; PostgreSQL with CARINA_TEST_POSTGRES_URL):
// a client that reconnects with Last-Event-ID, to the same replica or another, gets exactly what it missed.
// Real HTTP and a real store on a machine shared with other runs: more than the unit default of 5 s.
vi.setConfig({ testTimeout: 20_000 });

const ACCOUNT = 'a1b2c3d4e5f60718';
const limits = { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0 };

/** A replica: the API on its own connection to the shared store. */
async function replica(store: Store, ids: { n: number }, requestTimeoutMs = limits.requestTimeoutMs, pollMs = 20): Promise<{ app: FastifyInstance; url: string }> {
  const clusters = stubClusterService(store, { ports: { from: 40100, to: 40199 }, ids });
  const app = await buildApi({ store, clusters, advertiseAddress: '127.0.0.1', version: 'test', log: () => undefined, limits: { ...limits, requestTimeoutMs, headersTimeoutMs: Math.min(limits.headersTimeoutMs, requestTimeoutMs) }, eventStreams: { pollMs, heartbeatMs: 100 } });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

/** A stream being read: its messages so far, and a way to wait for more. */
interface Reading {
  readonly messages: StreamMessage[];
  readonly comments: () => number;
  until(done: (messages: StreamMessage[]) => boolean, timeoutMs?: number): Promise<StreamMessage[]>;
  readonly ended: Promise<void>;
  close(): void;
}

function read(res: Response): Reading {
  const parser = new EventStreamParser();
  const messages: StreamMessage[] = [];
  let comments = 0;
  let wake = () => undefined as void;
  const reader = (res.body ?? new ReadableStream<Uint8Array>()).getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    for (;;) {
      const chunk: { done: boolean; value?: Uint8Array | undefined } = await reader.read().catch(() => ({ done: true }));
      const { done, value } = chunk;
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      comments += text.split('\n').filter((l) => l.startsWith(': heartbeat')).length;
      messages.push(...parser.push(text));
      wake();
    }
    wake();
  })();
  return {
    messages,
    comments: () => comments,
    ended,
    async until(done, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(messages)) {
        if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(messages)}`);
        await Promise.race([new Promise<void>((r) => (wake = r)), new Promise((r) => setTimeout(r, 50))]);
      }
      return messages;
    },
    close: () => void reader.cancel().catch(() => undefined),
  };
}

const ids = (messages: StreamMessage[]) => messages.filter((m) => m.event === 'message').map((m) => (JSON.parse(m.data) as { id: number }).id);

describeStoreContract('API: event streams on the store', (h) => {
  const counter = { n: 0 };
  let key = '';
  const replicas: Array<{ app: FastifyInstance; store?: Store }> = [];
  const open: Reading[] = [];

  beforeEach(async () => {
    key = generateApiKey(ACCOUNT);
    await h.store.accounts.create({ id: ACCOUNT, name: 'sse', keyHash: await hashApiKey(key), quotaClusters: 5, quotaNodes: 10 });
  });
  afterEach(async () => {
    for (const r of open.splice(0)) r.close();
    for (const r of replicas.splice(0)) {
      await r.app.close();
      await r.store?.close();
    }
  });

  const start = async (own = false, requestTimeoutMs?: number, pollMs?: number) => {
    const store = own ? await openStore({ url: h.url }) : h.store;
    const r = await replica(store, counter, requestTimeoutMs, pollMs);
    replicas.push({ app: r.app, ...(own && { store }) });
    return r.url;
  };
  const get = (base: string, path: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
  const stream = async (base: string, path: string, headers: Record<string, string> = {}) => {
    const res = await get(base, path, { accept: 'text/event-stream', ...headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const r = read(res);
    open.push(r);
    return r;
  };
  const create = async (base: string, name: string) => {
    const res = await fetch(`${base}/v1/clusters`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    expect(res.status).toBe(202);
    return (await res.json()) as { id: string };
  };

  it('a client reconnecting with Last-Event-ID, to the same replica or another, gets exactly the events it missed, once, in order', async () => {
    const one = await start();
    const two = await start(true);
    const web = await create(one, 'sseweb');
    const other = await create(one, 'sseother');
    const first = await stream(one, '/v1/clusters/sseweb/events');
    const append = async (n: number, clusterId = web.id) => (await h.store.events.append(clusterId, 'node', `step ${n}`)).id;
    await first.until((m) => ids(m).length === 1); // the log so far: "created"
    const live = [await append(1), await append(2)];
    await first.until((m) => ids(m).length === 3);
    first.close();
    const seen = ids(first.messages);
    expect(seen.slice(1)).toEqual(live);
    expect(first.messages.at(-1)?.lastEventId).toBe(String(live[1]));

    // Missed while away: two of its own and one of another cluster (not for this stream).
    const missed = [await append(3), await append(4)];
    await append(5, other.id);
    const again = await stream(two, '/v1/clusters/sseweb/events', { 'last-event-id': String(live[1]) });
    await again.until((m) => ids(m).length === 2);
    const later = await append(6);
    await again.until((m) => ids(m).length === 3);
    await new Promise((r) => setTimeout(r, 150)); // a few more polls: nothing else comes
    expect(ids(again.messages)).toEqual([...missed, later]);
    expect(JSON.parse(again.messages[0]?.data ?? '{}')).toEqual({ id: missed[0], time: ANY_STRING, type: 'node', message: 'step 3' });

    // The JSON answer without the Accept header is what it was.
    const json = (await (await get(one, '/v1/clusters/sseweb/events')).json()) as { events: Array<{ id: number; type: string }> };
    expect(json.events.map((e) => e.id)).toEqual([...seen, ...missed, later]);
    expect(json.events[0]?.type).toBe('created');
  });

  it('streams all of the account’s clusters, each event naming its cluster, from ?after= or Last-Event-ID', async () => {
    const base = await start();
    const a = await create(base, 'ssea');
    const b = await create(base, 'sseb');
    const e1 = await h.store.events.append(a.id, 'node', 'a1');
    const all = await stream(base, `/v1/events?after=${e1.id - 1}`);
    const e2 = await h.store.events.append(b.id, 'node', 'b1');
    await all.until((m) => ids(m).length === 2);
    expect(all.messages.map((m) => JSON.parse(m.data) as object)).toEqual([
      { id: e1.id, cluster: 'ssea', time: ANY_STRING, type: 'node', message: 'a1' },
      { id: e2.id, cluster: 'sseb', time: ANY_STRING, type: 'node', message: 'b1' },
    ]);
    const resumed = await stream(base, '/v1/events?after=0', { 'last-event-id': String(e1.id) });
    await resumed.until((m) => ids(m).length === 1);
    expect(ids(resumed.messages)).toEqual([e2.id]);
    const json = (await (await get(base, `/v1/events?after=${e1.id}`)).json()) as { events: unknown[] };
    expect(json.events).toEqual([{ id: e2.id, cluster: 'sseb', time: ANY_STRING, type: 'node', message: 'b1' }]);
  });

  it('hands this process’s own events to its streams at once, not at the next poll', async () => {
    // Polling once a minute: only the commit signal can bring these within the test's seconds.
    const base = await start(false, undefined, 60_000);
    const { id } = await create(base, 'ssewake');
    const s = await stream(base, '/v1/clusters/ssewake/events');
    await s.until((m) => ids(m).length === 1); // the created event, from the stream's catch-up
    const appended: number[] = [];
    const started = Date.now();
    for (const step of ['one', 'two', 'three']) {
      appended.push((await h.store.events.append(id, 'step', step)).id); // as the leader's reconciler in this process does
      await s.until((m) => ids(m).at(-1) === appended.at(-1), 3_000);
    }
    expect(ids(s.messages).slice(1)).toEqual(appended);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('sends heartbeats, and ends a deleted cluster’s stream with a gone message', async () => {
    const base = await start();
    const web = await create(base, 'ssegone');
    const s = await stream(base, '/v1/clusters/ssegone/events');
    await s.until(() => s.comments() >= 2, 2000);
    await h.store.clusters.delete(web.id);
    await s.until((m) => m.some((x) => x.event === 'gone'));
    await s.ended;
    expect(s.messages.at(-1)).toEqual({ event: 'gone', data: '{"cluster":"ssegone"}', lastEventId: ANY_STRING });
  });

  it('starts a stream whose catch-up read outlasts a heartbeat with its head, and hands it the events after', async () => {
    // Issue 17: under load a stream's first read of the store can take longer than the feed's heartbeat
    // interval. The read is held here until the heartbeat (every 100 ms, on a timer set before the read) has come.
    const events = h.store.events;
    let hold = false;
    const list: typeof events.list = async (clusterId, options) => {
      if (hold) {
        hold = false;
        await new Promise((r) => setTimeout(r, 300));
      }
      return events.list(clusterId, options);
    };
    const store: Store = { ...h.store, events: { ...events, list } };
    const { app, url } = await replica(store, counter);
    replicas.push({ app });
    const web = await create(url, 'sseslow');
    hold = true;
    const s = await stream(url, '/v1/clusters/sseslow/events');
    await s.until((m) => ids(m).length === 1); // "created", from the catch-up
    const live = await h.store.events.append(web.id, 'node', 'after the catch-up');
    await s.until((m) => ids(m).includes(live.id));
    expect(ids(s.messages)).toEqual([ids(s.messages)[0], live.id]);
  });

  it('keeps a stream open past the API’s request timeout', async () => {
    const base = await start(false, 2000);
    const web = await h.store.clusters.createWithinQuota(h.input(ACCOUNT, 'sselong', { createdEvent: 'created' }), { from: 40100, to: 40199 });
    const s = await stream(base, '/v1/clusters/sselong/events');
    await s.until((m) => ids(m).length === 1);
    await new Promise((r) => setTimeout(r, 4500)); // past the 2 s a whole request may take
    const late = await h.store.events.append(web.id, 'node', 'late');
    await s.until((m) => ids(m).includes(late.id));
  });

  it('answers refusals in the API’s shape, before any stream starts', async () => {
    const base = await start();
    await create(base, 'ssebad');
    const sse = { accept: 'text/event-stream' };
    const bad = await get(base, '/v1/clusters/ssebad/events', { ...sse, 'last-event-id': 'yesterday' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'CARINA_ERR_VALIDATION', message: MENTIONS_HEADER } });
    const missing = await get(base, '/v1/clusters/ssenone/events', sse);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('CARINA_ERR_CLUSTER_NOT_FOUND');
    for (const path of ['/v1/events', '/v1/clusters/ssebad/events']) {
      const anonymous = await fetch(`${base}${path}`, { headers: sse });
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { error: { code: string } }).error.code).toMatch(/^CARINA_ERR_/);
    }
  });
});
