import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../core/errors.js';
import type { Clock, NewCluster, Store } from '../core/ports.js';
import type { Account, Cluster, ClusterNode, ClusterPki } from '../core/types.js';
import { openStore, parseStoreUrl } from './open-store.js';

const tempDir = mkdtempSync(join(tmpdir(), 'carina-store-'));
let fileCounter = 0;
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

const postgresUrl = process.env['CARINA_TEST_POSTGRES_URL'];

/** Drops every table so that each test starts from an empty, freshly migrated database. */
async function resetPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      'DROP TABLE IF EXISTS sessions, audit, events, nodes, cluster_pki, clusters, accounts, kysely_migration, kysely_migration_lock CASCADE',
    );
  } finally {
    await client.end();
  }
}

interface Variant {
  readonly name: string;
  readonly skip: boolean;
  /** A URL of an empty store. */
  fresh(): Promise<string>;
}

const VARIANTS: Variant[] = [
  { name: 'sqlite', skip: false, fresh: () => Promise.resolve(`sqlite:${join(tempDir, `store-${++fileCounter}.db`)}`) },
  {
    name: 'postgres',
    skip: postgresUrl === undefined,
    fresh: async () => {
      await resetPostgres(postgresUrl ?? '');
      return postgresUrl ?? '';
    },
  },
];

const RANGE = { from: 20000, to: 20099 };
const PKI: ClusterPki = {
  caCert: 'ca-cert', caKey: 'ca-key', serverCert: 'srv-cert', serverKey: 'srv-key',
  clientCert: 'cli-cert', clientKey: 'cli-key', clientSerial: '01',
};

describe.each(VARIANTS)('Store contract ($name)', (variant) => {
  describe.skipIf(variant.skip)('', () => {
    let url: string;
    let store: Store;
    let time: number;
    const clock: Clock = { now: () => new Date(time) };
    let ids = 0;

    beforeEach(async () => {
      time = Date.parse('2030-01-02T03:04:05.678Z');
      url = await variant.fresh();
      store = await openStore({ url, clock });
    });
    afterEach(async () => {
      await store.close();
    });

    const account = (name: string, quota = { clusters: 5, nodes: 5 }): Promise<Account> =>
      store.accounts.create({ id: `acc-${name}`, name, keyHash: `hash-${name}`, quotaClusters: quota.clusters, quotaNodes: quota.nodes });
    const input = (accountId: string, name: string, extra: Partial<NewCluster> = {}): NewCluster => ({
      id: `cl-${++ids}`, accountId, name, flavor: 'small', nodeCount: 1, autoscale: false, ...extra,
    });
    const cluster = (accountId: string, name: string, range = RANGE): Promise<Cluster> =>
      store.clusters.createWithinQuota(input(accountId, name), range);

    it('creates, finds, lists, rotates, re-quotas and deletes accounts', async () => {
      const bob = await account('bob', { clusters: 2, nodes: 3 });
      expect(bob).toEqual({ id: 'acc-bob', name: 'bob', keyHash: 'hash-bob', quotaClusters: 2, quotaNodes: 3, createdAt: new Date(time) });
      await account('alice');
      const duplicate = { id: 'acc-other', name: 'bob', keyHash: 'h', quotaClusters: 1, quotaNodes: 1 };
      await expect(store.accounts.create(duplicate)).rejects.toMatchObject({ code: ErrorCode.ACCOUNT_EXISTS });
      expect(await store.accounts.findByName('bob')).toEqual(bob);
      expect(await store.accounts.findById('acc-bob')).toEqual(bob);
      expect(await store.accounts.findByName('nobody')).toBeUndefined();
      expect((await store.accounts.list()).map((a) => a.name)).toEqual(['alice', 'bob']);

      await store.accounts.updateKeyHash('acc-bob', 'hash-2');
      expect((await store.accounts.findById('acc-bob'))?.keyHash).toBe('hash-2');
      await expect(store.accounts.updateKeyHash('missing', 'x')).rejects.toMatchObject({ code: ErrorCode.ACCOUNT_NOT_FOUND });

      expect(await store.accounts.setQuota('acc-bob', { clusters: 7 })).toMatchObject({ quotaClusters: 7, quotaNodes: 3 });
      expect(await store.accounts.setQuota('acc-bob', { nodes: 9 })).toMatchObject({ quotaClusters: 7, quotaNodes: 9 });
      await expect(store.accounts.setQuota('missing', { nodes: 1 })).rejects.toMatchObject({ code: ErrorCode.ACCOUNT_NOT_FOUND });

      const c = await cluster(bob.id, 'web');
      await expect(store.accounts.delete(bob.id)).rejects.toMatchObject({
        code: ErrorCode.INVALID_STATE,
        message: expect.stringContaining('delete the clusters first') as unknown,
      });
      expect(await store.accounts.findById(bob.id)).toBeDefined();
      await store.clusters.delete(c.id);
      await store.accounts.delete(bob.id);
      expect(await store.accounts.findById(bob.id)).toBeUndefined();
      await store.accounts.delete(bob.id); // already gone: no-op
    });

    it('creates clusters with unique names per account', async () => {
      const a = await account('a');
      const b = await account('b');
      const web = await cluster(a.id, 'web');
      expect(web).toMatchObject({
        accountId: a.id, accountName: 'a', name: 'web', flavor: 'small', nodeCount: 1, autoscale: false,
        status: 'new', statusReason: null, port: RANGE.from, failures: 0,
      });
      expect(web.createdAt).toEqual(new Date(time));
      await expect(cluster(a.id, 'web')).rejects.toMatchObject({ code: ErrorCode.CLUSTER_EXISTS });
      const other = await cluster(b.id, 'web');
      expect(other.accountName).toBe('b');
      await store.clusters.createWithinQuota(input(a.id, 'api', { autoscale: true, nodeCount: 3 }), RANGE);

      expect(await store.clusters.get(a.id, 'web')).toEqual(web);
      expect(await store.clusters.getById(web.id)).toEqual(web);
      expect(await store.clusters.get(b.id, 'api')).toBeUndefined();
      expect((await store.clusters.listByAccount(a.id)).map((c) => [c.name, c.autoscale, c.nodeCount])).toEqual([
        ['api', true, 3],
        ['web', false, 1],
      ]);
      expect((await store.clusters.listAll()).map((c) => `${c.accountName}/${c.name}`)).toEqual(['a/api', 'a/web', 'b/web']);
      expect(await store.clusters.countByAccount(a.id)).toBe(2);
      await expect(cluster('missing', 'x')).rejects.toMatchObject({ code: ErrorCode.ACCOUNT_NOT_FOUND });
    });

    it('enforces the cluster quota under 10 concurrent creates', async () => {
      const a = await account('busy', { clusters: 3, nodes: 5 });
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => cluster(a.id, `c${i}`)));
      const created = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error & { code: string }] : []));
      expect(created).toHaveLength(3);
      expect(refused).toHaveLength(7);
      for (const err of refused) {
        expect(err.code).toBe(ErrorCode.QUOTA_EXCEEDED);
        expect(err.message).toBe('quota of 3 clusters reached (3 in use): delete a cluster or ask an operator to raise the quota');
      }
      expect(new Set(created.map((c) => c.port)).size).toBe(3);
      expect(await store.clusters.countByAccount(a.id)).toBe(3);
    });

    it('enforces the per-cluster node quota', async () => {
      const a = await account('small', { clusters: 5, nodes: 2 });
      const err = store.clusters.createWithinQuota(input(a.id, 'big', { nodeCount: 3 }), RANGE);
      await expect(err).rejects.toMatchObject({ code: ErrorCode.QUOTA_EXCEEDED, message: expect.stringContaining('at most 2 nodes per cluster') as unknown });
      expect(await store.clusters.countByAccount(a.id)).toBe(0);
    });

    it('allocates distinct lowest free ports, reuses freed ones and reports exhaustion', async () => {
      const a = await account('a', { clusters: 20, nodes: 5 });
      const b = await account('b', { clusters: 20, nodes: 5 });
      const range = { from: 30000, to: 30011 };
      const all = await Promise.all(Array.from({ length: 10 }, (_, i) => cluster(i % 2 ? a.id : b.id, `c${i}`, range)));
      expect(all.map((c) => c.port).sort()).toEqual(Array.from({ length: 10 }, (_, i) => 30000 + i));
      const freed = all.find((c) => c.port === 30004);
      await store.clusters.delete(freed?.id ?? '');
      expect((await cluster(a.id, 'again', range)).port).toBe(30004);
      expect((await cluster(a.id, 'c10', range)).port).toBe(30010);
      expect((await cluster(a.id, 'c11', range)).port).toBe(30011);
      await expect(cluster(a.id, 'c12', range)).rejects.toMatchObject({ code: ErrorCode.PORTS_EXHAUSTED });
    });

    it('applies allowed transitions with their patch and refuses others', async () => {
      const a = await account('a');
      const c = await cluster(a.id, 'web');
      await expect(store.clusters.transition('missing', 'start')).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });

      time += 1000;
      const started = await store.clusters.transition(c.id, 'start', { failures: 2 });
      expect(started).toMatchObject({ ok: true, from: 'new', cluster: { status: 'building', failures: 2 } });
      expect(started.cluster.updatedAt).toEqual(new Date(time));

      const refused = await store.clusters.transition(c.id, 'rebuild', { failures: 9 });
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.reason).toContain('cannot rebuild a cluster that is building');
      expect(refused.cluster).toMatchObject({ status: 'building', failures: 2 });
      expect(await store.clusters.getById(c.id)).toMatchObject({ status: 'building', failures: 2 });

      const failed = await store.clusters.transition(c.id, 'fail', { statusReason: 'engine down' });
      expect(failed).toMatchObject({ ok: true, from: 'building', cluster: { status: 'error', statusReason: 'engine down' } });
      const failedAgain = await store.clusters.transition(c.id, 'fail');
      expect(failedAgain.cluster.statusReason).toBe('engine down');
      const rebuilding = await store.clusters.transition(c.id, 'rebuild', { failures: 0 });
      expect(rebuilding).toMatchObject({ ok: true, from: 'error', cluster: { status: 'rebuilding', statusReason: null, failures: 0 } });
    });

    it('grows atomically within the node limit and only in states that allow it', async () => {
      const a = await account('a');
      const c = await cluster(a.id, 'web');
      await expect(store.clusters.grow('missing', 1, 10)).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
      await expect(store.clusters.grow(c.id, 0, 10)).rejects.toMatchObject({ code: ErrorCode.VALIDATION });
      await store.clusters.transition(c.id, 'start');
      await store.clusters.transition(c.id, 'ready');
      const grown = await Promise.all([1, 2, 3].map((by) => store.clusters.grow(c.id, by, 10)));
      expect(grown.every((o) => o.ok)).toBe(true);
      expect(grown.map((o) => (o.ok ? o.from : null)).sort()).toEqual(['active', 'growing', 'growing']);
      expect(await store.clusters.getById(c.id)).toMatchObject({ status: 'growing', nodeCount: 7 });
      await expect(store.clusters.grow(c.id, 4, 10)).rejects.toMatchObject({
        code: ErrorCode.QUOTA_EXCEEDED,
        message: expect.stringContaining('at most 10 nodes per cluster') as unknown,
      });
      expect((await store.clusters.getById(c.id))?.nodeCount).toBe(7);
      await store.clusters.transition(c.id, 'delete');
      const refused = await store.clusters.grow(c.id, 1, 10);
      expect(refused).toMatchObject({ ok: false, cluster: { status: 'deleting', nodeCount: 7 } });
    });

    it('resizes up through grow and down through shrink, never below 1 or past the limit', async () => {
      const a = await account('a');
      const c = await cluster(a.id, 'web');
      await store.clusters.transition(c.id, 'start');
      await store.clusters.transition(c.id, 'ready');
      expect(c.nodeCount).toBe(1);
      expect(await store.clusters.resize(c.id, 3, 5)).toMatchObject({ ok: true, from: 'active', cluster: { status: 'growing', nodeCount: 3 } });
      await store.clusters.transition(c.id, 'ready');
      const down = await store.clusters.resize(c.id, 1, 5);
      expect(down).toMatchObject({ ok: true, from: 'active', cluster: { status: 'shrinking', nodeCount: 1 } });
      await store.clusters.transition(c.id, 'ready');
      const up = await store.clusters.resize(c.id, 4, 5);
      expect(up).toMatchObject({ ok: true, from: 'active', cluster: { status: 'growing', nodeCount: 4 } });
      await store.clusters.transition(c.id, 'ready');
      expect(await store.clusters.resize(c.id, 4, 5)).toMatchObject({ ok: false, reason: 'the cluster already has 4 nodes' });
      await expect(store.clusters.resize(c.id, 0, 5)).rejects.toMatchObject({ code: ErrorCode.VALIDATION });
      await expect(store.clusters.resize(c.id, 6, 5)).rejects.toMatchObject({ code: ErrorCode.QUOTA_EXCEEDED });
      await expect(store.clusters.resize('missing', 2, 5)).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
      expect(await store.clusters.getById(c.id)).toMatchObject({ status: 'active', nodeCount: 4 });
    });

    it('updates a patch and bumps updated_at', async () => {
      const a = await account('a');
      const c = await cluster(a.id, 'web');
      time += 60_000;
      const updated = await store.clusters.update(c.id, { nodeCount: 4, autoscale: true, failures: 1, statusReason: 'slow' });
      expect(updated).toMatchObject({ nodeCount: 4, autoscale: true, failures: 1, statusReason: 'slow', status: 'new' });
      expect(updated.createdAt).toEqual(c.createdAt);
      expect(updated.updatedAt).toEqual(new Date(time));
      expect(await store.clusters.getById(c.id)).toEqual(updated);
      await expect(store.clusters.update('missing', {})).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
    });

    it('replaces and lists nodes in index order', async () => {
      const a = await account('a');
      const c = await cluster(a.id, 'web');
      const node = (index: number, status = 'ready'): ClusterNode => ({
        clusterId: c.id, index, role: index === 0 ? 'manager' : 'worker', containerId: `ctr-${index}`, address: `10.0.0.${index}`, status,
      });
      expect(await store.clusters.listNodes(c.id)).toEqual([]);
      await store.clusters.replaceNodes(c.id, [node(2), node(0), node(1, 'starting')]);
      expect(await store.clusters.listNodes(c.id)).toEqual([node(0), node(1, 'starting'), node(2)]);
      await store.clusters.replaceNodes(c.id, [{ ...node(0), containerId: null, address: null, status: 'unknown' }]);
      expect(await store.clusters.listNodes(c.id)).toEqual([{ ...node(0), containerId: null, address: null, status: 'unknown' }]);
      await expect(store.clusters.replaceNodes('missing', [])).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
    });

    it("pages through an account's clusters by name, never into another account's", async () => {
      const a = await account('pager', { clusters: 10, nodes: 5 });
      const b = await account('other');
      for (const name of ['delta', 'alpha', 'echo', 'charlie', 'bravo']) await cluster(a.id, name);
      await cluster(b.id, 'beta');
      const names = async (page: { after?: string; limit: number }) => (await store.clusters.listByAccount(a.id, page)).map((c) => c.name);
      expect(await names({ limit: 2 })).toEqual(['alpha', 'bravo']);
      expect(await names({ after: 'bravo', limit: 2 })).toEqual(['charlie', 'delta']);
      expect(await names({ after: 'delta', limit: 2 })).toEqual(['echo']);
      expect(await names({ after: 'echo', limit: 2 })).toEqual([]);
      expect(await names({ after: 'b', limit: 10 })).toEqual(['bravo', 'charlie', 'delta', 'echo']); // a cursor need not exist
    });

    it('counts the Ready nodes of the given clusters in one query, and no others', async () => {
      const a = await account('a');
      const b = await account('b');
      const web = await cluster(a.id, 'web');
      const db = await cluster(a.id, 'db');
      const other = await cluster(b.id, 'web');
      const node = (clusterId: string, index: number): ClusterNode => ({
        clusterId, index, role: index === 0 ? 'manager' : 'worker', containerId: null, address: null, status: 'ready',
      });
      await store.clusters.replaceNodes(web.id, [node(web.id, 1), node(web.id, 0)]);
      await store.clusters.replaceNodes(db.id, [node(db.id, 0)]);
      await store.clusters.replaceNodes(other.id, [node(other.id, 0)]);
      await store.clusters.replaceNodes(db.id, [node(db.id, 0), { ...node(db.id, 1), status: 'joining' }]);
      const ready = await store.clusters.countReadyNodes([web.id, db.id, 'empty']);
      expect(Object.fromEntries(ready)).toEqual({ [web.id]: 2, [db.id]: 1, empty: 0 });
      expect((await store.clusters.countReadyNodes([])).size).toBe(0);
    });

    it('appends and lists events in order, after an id and up to a limit', async () => {
      const a = await account('a');
      const c = await cluster(a.id, 'web');
      const other = await cluster(a.id, 'api');
      const e1 = await store.events.append(c.id, 'created', 'cluster created');
      await store.events.append(other.id, 'created', 'other');
      time += 5;
      const e2 = await store.events.append(c.id, 'building', 'starting nodes');
      const e3 = await store.events.append(c.id, 'active', 'ready');
      expect(e1).toEqual({ id: e1.id, clusterId: c.id, at: new Date(time - 5), type: 'created', message: 'cluster created' });
      expect(e2.id).toBeGreaterThan(e1.id);
      expect(e3.id).toBeGreaterThan(e2.id);
      expect(await store.events.list(c.id)).toEqual([e1, e2, e3]);
      expect(await store.events.list(c.id, { afterId: e1.id })).toEqual([e2, e3]);
      expect(await store.events.list(c.id, { afterId: e3.id })).toEqual([]);
      expect(await store.events.list(c.id, { limit: 2 })).toEqual([e1, e2]);
      await expect(store.events.append('missing', 'x', 'y')).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
    });

    it('stores key material and deletes it with the nodes and events of its cluster', async () => {
      const a = await account('a');
      const c = await cluster(a.id, 'web');
      const keep = await cluster(a.id, 'keep');
      await store.clusters.putPki(c.id, PKI);
      await store.clusters.putPki(c.id, { ...PKI, clientSerial: '02' });
      expect(await store.clusters.getPki(c.id)).toEqual({ ...PKI, clientSerial: '02' });
      await expect(store.clusters.putPki('missing', PKI)).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
      await store.clusters.putPki(keep.id, PKI);
      for (const id of [c.id, keep.id]) {
        await store.clusters.replaceNodes(id, [{ clusterId: id, index: 0, role: 'manager', containerId: null, address: null, status: 'ready' }]);
        await store.events.append(id, 'created', 'hello');
      }

      await store.clusters.delete(c.id);
      expect(await store.clusters.getById(c.id)).toBeUndefined();
      expect(await store.clusters.getPki(c.id)).toBeUndefined();
      expect(await store.clusters.listNodes(c.id)).toEqual([]);
      expect(await store.events.list(c.id)).toEqual([]);
      expect(await store.clusters.getPki(keep.id)).toEqual(PKI);
      expect(await store.clusters.listNodes(keep.id)).toHaveLength(1);
      expect(await store.events.list(keep.id)).toHaveLength(1);
      expect((await cluster(a.id, 'web')).name).toBe('web');
    });

    it('appends and lists audit entries in order, after an id and up to a limit, and deletes them with the cluster', async () => {
      const a = await account('a');
      const c = await cluster(a.id, 'web');
      const other = await cluster(a.id, 'api');
      const entry = { clusterId: c.id, account: 'a', method: 'POST', path: '/v1.41/containers/create', status: 201, certSerial: '4a', deniedCode: null };
      const e1 = await store.audit.append(entry);
      await store.audit.append({ ...entry, clusterId: other.id });
      time += 5;
      const e2 = await store.audit.append({ ...entry, status: 403, deniedCode: 'CARINA-1001' });
      const e3 = await store.audit.append({ ...entry, method: 'DELETE', path: '/containers/x', status: 204 });
      expect(e1).toEqual({ ...entry, id: e1.id, at: new Date(time - 5) });
      expect(e2).toMatchObject({ status: 403, deniedCode: 'CARINA-1001' });
      expect(e3.id).toBeGreaterThan(e2.id);
      expect(e2.id).toBeGreaterThan(e1.id);
      expect(await store.audit.list(c.id)).toEqual([e1, e2, e3]);
      expect(await store.audit.list(c.id, { afterId: e1.id })).toEqual([e2, e3]);
      expect(await store.audit.list(c.id, { limit: 1 })).toEqual([e1]);
      await expect(store.audit.append({ ...entry, clusterId: 'missing' })).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
      await store.clusters.delete(c.id);
      expect(await store.audit.list(c.id)).toEqual([]);
      expect(await store.audit.list(other.id)).toHaveLength(1);
    });

    it('prunes audit entries older than a cutoff, of every cluster', async () => {
      const a = await account('a');
      const c = await cluster(a.id, 'web');
      const other = await cluster(a.id, 'api');
      const entry = { clusterId: c.id, account: 'a', method: 'POST', path: '/containers/create', status: 201, certSerial: '4a', deniedCode: null };
      await store.audit.append(entry);
      await store.audit.append({ ...entry, clusterId: other.id });
      time += 86_400_000;
      const cutoff = new Date(time);
      const kept = await store.audit.append(entry);
      expect(await store.audit.pruneBefore(cutoff)).toBe(2);
      expect(await store.audit.list(c.id)).toEqual([kept]);
      expect(await store.audit.list(other.id)).toEqual([]);
      expect(await store.audit.pruneBefore(cutoff)).toBe(0);
    });

    it('keeps portal sessions: get, delete, expiry, a bound per account, and none past its account', async () => {
      const a = await account('a');
      const b = await account('b');
      const session = (idHash: string, accountId: string, ttlMs = 60_000) => ({
        idHash, accountId, keyHash: `hash-${accountId}`, csrfToken: `csrf-${idHash}`, createdAt: new Date(time), expiresAt: new Date(time + ttlMs),
      });
      const s1 = session('h1', a.id);
      await store.sessions.create(s1, 2);
      expect(await store.sessions.get('h1')).toEqual(s1);
      expect(await store.sessions.get('nope')).toBeUndefined();
      time += 1000;
      await store.sessions.create(session('h2', a.id, 1000), 2);
      await store.sessions.create(session('hb', b.id), 2);
      time += 1000;
      await store.sessions.create(session('h3', a.id), 2); // a third of a's: the oldest (h1) ends
      expect(await store.sessions.get('h1')).toBeUndefined();
      expect((await store.sessions.get('h2'))?.accountId).toBe(a.id);
      expect(await store.sessions.deleteExpired(new Date(time))).toBe(1); // h2 expired just now
      expect(await store.sessions.get('h2')).toBeUndefined();
      expect((await store.sessions.get('hb'))?.accountId).toBe(b.id);
      await store.sessions.delete('h3');
      expect(await store.sessions.get('h3')).toBeUndefined();
      await store.accounts.delete(b.id);
      expect(await store.sessions.get('hb')).toBeUndefined();
    });

    it('runs migrations idempotently when the same database is opened again', async () => {
      await account('persisted');
      const second = await openStore({ url });
      expect((await second.accounts.findByName('persisted'))?.id).toBe('acc-persisted');
      await second.close();
      await store.close();
      store = await openStore({ url });
      expect((await store.accounts.list()).map((a) => a.name)).toEqual(['persisted']);
    });
  });
});

describe('parseStoreUrl', () => {
  it('recognizes sqlite files, memory and postgres urls', () => {
    expect(parseStoreUrl('sqlite:/var/lib/carina.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/carina.db' });
    expect(parseStoreUrl('sqlite:///var/lib/carina.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/carina.db' });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseStoreUrl('postgresql://u:p@h/db')).toEqual({ dialect: 'postgres', connectionString: 'postgresql://u:p@h/db' });
    expect(parseStoreUrl('postgres://h/db').dialect).toBe('postgres');
  });

  it('refuses anything else without echoing a password', () => {
    expect(() => parseStoreUrl('mysql://u:secret@h/db')).toThrow(/unsupported store url "mysql:\/\/\*\*\*@h\/db"/);
    expect(() => parseStoreUrl('sqlite:')).toThrow(/unsupported store url/);
  });

  it('opens an in-memory store', async () => {
    const store = await openStore({ url: 'sqlite::memory:' });
    await store.accounts.create({ id: 'x', name: 'x', keyHash: 'h', quotaClusters: 1, quotaNodes: 1 });
    expect(await store.accounts.list()).toHaveLength(1);
    await store.close();
    await store.close();
  });
});
