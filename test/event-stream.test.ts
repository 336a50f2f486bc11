import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStreamParser, type StreamMessage } from '../src/wire/event-stream.js';
import { ApiClient } from './support/api-client.js';
import { onPostgres, waitForRole } from './support/replicas.js';
import { TestServer } from './support/server.js';

// Issue 17: a client follows a cluster's create on the live event stream of the leader; the leader is
// killed mid-create; the client reconnects to the other replica with Last-Event-ID and follows the
// create to its end. Every event of the create must arrive exactly once, in order. Two replicas on one
// PostgreSQL store (CARINA_TEST_POSTGRES_URL), a 4 s lease.
const postgresUrl = process.env.CARINA_TEST_POSTGRES_URL;
const LEASE_TTL_MS = 4_000;

interface Event {
  readonly id: number;
  readonly type: string;
  readonly message: string;
}

/** Reads one connection's messages into `into` until `stop` says so or the stream ends; answers how it ended. */
async function follow(url: string, key: string, lastEventId: string | undefined, into: Event[], stop: (e: Event) => boolean): Promise<'stopped' | 'ended'> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'text/event-stream' };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const res = await fetch(`${url}/v1/clusters/ssefollow/events`, { headers });
  expect(res.status).toBe(200);
  const reader = (res.body ?? new ReadableStream<Uint8Array>()).getReader();
  const parser = new EventStreamParser();
  const decoder = new TextDecoder();
  for (;;) {
    const chunk: { done: boolean; value?: Uint8Array | undefined } = await reader.read().catch(() => ({ done: true }));
    if (chunk.done) return 'ended';
    const messages: StreamMessage[] = parser.push(decoder.decode(chunk.value, { stream: true }));
    for (const m of messages.filter((x) => x.event === 'message')) {
      const e = JSON.parse(m.data) as Event;
      into.push(e);
      if (stop(e)) {
        await reader.cancel().catch(() => undefined);
        return 'stopped';
      }
    }
  }
}

describe.skipIf(!postgresUrl)('a client follows a create on the event stream while the leader is killed', () => {
  const database = `carina_e2e_sse_${process.pid}`;
  let a: TestServer;
  let b: TestServer;
  let key = '';

  beforeAll(async () => {
    await onPostgres(postgresUrl, `DROP DATABASE IF EXISTS ${database}`);
    await onPostgres(postgresUrl, `CREATE DATABASE ${database}`);
    const url = new URL(postgresUrl ?? '');
    url.pathname = `/${database}`;
    a = new TestServer('sse', { env: { CARINA_DATABASE_URL: url.toString(), CARINA_LEASE_TTL_MS: String(LEASE_TTL_MS) } });
    b = new TestServer('sse', { replicaOf: a });
    await a.start();
    await waitForRole(a, 'leader', 10_000);
    await b.start();
    key = await a.createAccount('sseuser');
  });
  afterAll(async () => {
    await b?.cleanup();
    await a?.cleanup();
    await onPostgres(postgresUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
  });

  it('every event of the create arrives exactly once, in order, across the failover', async () => {
    const viaB = new ApiClient(b.url, key);
    expect((await viaB.request('POST', '/v1/clusters', { name: 'ssefollow', nodes: 2 })).status).toBe(202);
    const got: Event[] = [];
    // On the leader until the reconciler has started on the create: then the leader dies under the stream.
    const first = follow(a.url, key, undefined, got, () => false);
    const deadline = Date.now() + 30_000;
    while (!got.some((e) => e.type === 'building' || e.type === 'node') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(got.some((e) => e.type === 'building' || e.type === 'node')).toBe(true);
    await a.kill();
    expect(await first).toBe('ended');
    const seenBeforeKill = got.length;
    // The client resumes on the other replica, which takes the lease over and finishes the create.
    const last = String(got.at(-1)?.id);
    const second = follow(b.url, key, last, got, (e) => e.type === 'active');
    expect(await Promise.race([second, new Promise((r) => setTimeout(() => r('timeout'), 60_000))])).toBe('stopped');
    const log = (await viaB.request('GET', '/v1/clusters/ssefollow/events')).body as { events: Event[] };
    const upToActive = log.events.slice(0, log.events.findIndex((e) => e.type === 'active') + 1);
    console.log(`event-stream: ${seenBeforeKill} events from the leader before it was killed, ${got.length - seenBeforeKill} from the other replica after; ${upToActive.length} in the log up to active`);
    expect(got.map((e) => e.id)).toEqual(upToActive.map((e) => e.id));
    expect(got.length).toBeGreaterThan(seenBeforeKill);
    expect(new Set(got.map((e) => e.id)).size).toBe(got.length);
    expect((await viaB.request('DELETE', '/v1/clusters/ssefollow')).status).toBe(202);
    await viaB.waitGone('ssefollow', 60_000);
  });
});
