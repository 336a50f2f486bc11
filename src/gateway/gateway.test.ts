import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../core/ports.js';
import type { Cluster, ClusterPki } from '../core/types.js';
import { X509Pki } from '../pki/x509-pki.js';
import { Gateway, PASS_CONCURRENCY } from './gateway.js';

// The gateway's sync with the store: a listener per cluster, and key material read only when it
// changed (the store's version), not every second for every cluster.
const issuer = new X509Pki();
const PORT = 29_000 + (process.pid % 500);

function cluster(status: Cluster['status']): Cluster {
  return {
    id: 'c1', accountId: 'a1', accountName: 'alice', name: 'web', flavor: 'container1-4G', nodeCount: 1, autoscale: false,
    status, statusReason: null, port: PORT, failures: 0, createdAt: new Date(), updatedAt: new Date(),
  };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('Gateway.sync', () => {
  let pki: ClusterPki;
  let current: Cluster = cluster('active');
  /** The key-material version the store holds for `current` (undefined: none stored). */
  let stored: number | undefined = 1;
  let pkiReads = 0;
  /** Reads of every cluster's endpoint (the whole passes), and of whole clusters. */
  let endpointReads = 0;
  let clusterReads = 0;
  /** What the store's endpoints version says: moved by the tests wherever a real store's would move. */
  let endpoints = 1;
  let clock = 0;
  const store = {
    clusters: {
      endpointsVersion: () => Promise.resolve(`v${endpoints}`),
      listEndpoints: () => {
        endpointReads++;
        return Promise.resolve([{ id: current.id, status: current.status, pkiVersion: stored }]);
      },
      listAll: () => {
        clusterReads++;
        return Promise.resolve([current]);
      },
      getById: () => {
        clusterReads++;
        return Promise.resolve(current);
      },
      getPki: () => {
        pkiReads++;
        return Promise.resolve(pki);
      },
    },
    audit: { append: () => Promise.reject(new Error('no requests here')), list: () => Promise.resolve([]), pruneBefore: () => Promise.resolve(0) },
  } as unknown as Store;
  const limits = { headersTimeoutMs: 15_000, maxConnections: 0, maxConnectionsPerCluster: 0, maxConnectionsPerAddress: 0 };
  const gateway = new Gateway({ store, host: '127.0.0.1', upstreamOf: () => ({ kind: 'unix', socketPath: '/nonexistent.sock' }), log: () => undefined, limits, now: () => clock });

  beforeAll(async () => {
    pki = await issuer.createClusterPki({ clusterId: 'c1', clusterName: 'web', accountName: 'alice', dnsNames: [], ipAddresses: ['127.0.0.1'] });
  });
  afterAll(() => gateway.close());

  it('opens a listener for a cluster, then leaves unchanged key material unread', async () => {
    await gateway.sync();
    expect(await refused(PORT)).toBe(false);
    await gateway.sync();
    await gateway.sync();
    expect(pkiReads).toBe(1);
  });

  it('reads no cluster while the endpoints version stays, except for a whole pass every 30 s, which reads only the endpoints', async () => {
    const [before, clustersBefore] = [endpointReads, clusterReads];
    await gateway.sync();
    await gateway.sync();
    expect(endpointReads).toBe(before);
    clock += 30_000;
    await gateway.sync();
    await gateway.sync();
    expect(endpointReads).toBe(before + 1);
    expect(clusterReads).toBe(clustersBefore); // nothing to open or update: no cluster read whole
    expect(pkiReads).toBe(1);
  });

  it('re-reads the key material of a cluster whose version moved (a rotation by another replica)', async () => {
    pki = { ...pki, ...(await issuer.issueClientCert(pki, 'alice')) };
    stored = 2;
    endpoints++;
    await gateway.sync();
    expect(pkiReads).toBe(2);
    await gateway.sync();
    expect(pkiReads).toBe(2);
  });

  it('a refresh reads at once, and the next sync once more to learn the version; a deleting cluster loses its listener', async () => {
    await gateway.refresh('c1');
    expect(pkiReads).toBe(3);
    await gateway.sync();
    await gateway.sync();
    expect(pkiReads).toBe(4);
    current = cluster('deleting');
    endpoints++;
    await gateway.sync();
    expect(await refused(PORT)).toBe(true);
  });

  it('settles on a cluster without key material (none to open) until its material is stored', async () => {
    const saved = stored;
    current = { ...cluster('error'), id: 'c2', port: PORT + 1 };
    stored = undefined;
    endpoints++;
    await gateway.sync();
    const reads = endpointReads;
    await gateway.sync();
    expect(endpointReads).toBe(reads);
    stored = 1;
    endpoints++;
    await gateway.sync();
    expect(await refused(PORT + 1)).toBe(false);
    stored = saved;
  });

  it('tries again every pass a listener whose port was taken, and reads no other cluster for it', async () => {
    const taken = createServer().listen(PORT + 2, '127.0.0.1');
    await once(taken, 'listening');
    const saved = stored;
    current = { ...cluster('active'), id: 'c3', port: PORT + 2 };
    stored = 1;
    endpoints++;
    await gateway.sync();
    const reads = endpointReads;
    await gateway.sync();
    taken.close();
    await once(taken, 'close');
    expect(await refused(PORT + 2)).toBe(true);
    await gateway.sync();
    expect(await refused(PORT + 2)).toBe(false);
    expect(endpointReads).toBe(reads);
    stored = saved;
  });

  it('opens the listeners again when it starts after a close, though the store did not change', async () => {
    current = cluster('active');
    endpoints++;
    await gateway.sync();
    expect(await refused(PORT)).toBe(false);
    await gateway.close();
    expect(await refused(PORT)).toBe(true);
    await gateway.start();
    expect(await refused(PORT)).toBe(false);
  });
});

describe('Gateway.sync over many clusters', () => {
  it(`reads at most ${PASS_CONCURRENCY} clusters' key material at once, so other queries are not queued behind thousands`, async () => {
    const clusters = Array.from({ length: 200 }, (_, i): Cluster => ({ ...cluster('error'), id: `m${i}`, port: PORT + 100 + i }));
    let inFlight = 0;
    let most = 0;
    const read: string[] = [];
    const store = {
      clusters: {
        endpointsVersion: () => Promise.resolve('v1'),
        listEndpoints: () => Promise.resolve(clusters.map((c) => ({ id: c.id, status: c.status, pkiVersion: 1 }))),
        listAll: () => Promise.resolve(clusters),
        getPki: async (id: string) => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setTimeout(r, 1));
          inFlight--;
          read.push(id);
          return undefined; // no listener to open: only the reads are counted
        },
      },
      audit: { append: () => Promise.resolve(), list: () => Promise.resolve([]), pruneBefore: () => Promise.resolve(0) },
    } as unknown as Store;
    const limits = { headersTimeoutMs: 15_000, maxConnections: 0, maxConnectionsPerCluster: 0, maxConnectionsPerAddress: 0 };
    const gateway = new Gateway({ store, host: '127.0.0.1', upstreamOf: () => undefined, log: () => undefined, limits });
    await gateway.sync();
    await gateway.close();
    expect(read.sort()).toEqual(clusters.map((c) => c.id).sort());
    expect(most).toBe(PASS_CONCURRENCY);
  });
});
