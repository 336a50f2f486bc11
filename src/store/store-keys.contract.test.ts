import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import type { ClusterPki } from '../core/types.js';
import { openStore } from './open-store.js';
import { describeStoreContract, rawQuery } from './test-support/store-contract.js';

const PKI: ClusterPki = {
  caCert: 'ca-cert', caKey: '-----BEGIN PRIVATE KEY-----\nca\n', serverCert: 'srv-cert', serverKey: '-----BEGIN PRIVATE KEY-----\nsrv\n',
  clientCert: 'cli-cert', clientKey: '-----BEGIN PRIVATE KEY-----\ncli\n', clientSerial: '01',
};

/** The `cluster_pki` row as it is on disk, read past the store. */
async function rawKeys(url: string, clusterId: string): Promise<string[]> {
  const [row] = await rawQuery(url, 'SELECT ca_key, server_key, client_key FROM cluster_pki WHERE cluster_id = $1', [clusterId]);
  return Object.values(row ?? {}) as string[];
}

// The clusters' private keys are sealed (AES-256-GCM) with the server's secret key in both stores.
describeStoreContract('Store contract: sealed private keys', (h) => {
  const secretKey = randomBytes(32);
  const reopen = async (key: Buffer | undefined) => {
    await h.store.close();
    h.store = await openStore({ url: h.url, secretKey: key });
  };

  it('writes private keys sealed and reads them back in plaintext; certificates stay readable', async () => {
    await reopen(secretKey);
    const c = await h.cluster((await h.account('a')).id, 'web');
    await h.store.clusters.putPki(c.id, PKI);
    const raw = await rawKeys(h.url, c.id);
    expect(raw).toHaveLength(3);
    for (const value of raw) {
      expect(value).toMatch(/^sealed:v1:/);
      expect(value).not.toContain('PRIVATE KEY');
    }
    expect(new Set(raw).size).toBe(3);
    expect(await h.store.clusters.getPki(c.id)).toEqual(PKI);
  });

  it('seals the plaintext keys of an older store when it is opened with a secret key', async () => {
    const c = await h.cluster((await h.account('a')).id, 'web');
    await h.store.clusters.putPki(c.id, PKI); // no secret key: plaintext, as before sealing existed
    expect(await rawKeys(h.url, c.id)).toEqual([PKI.caKey, PKI.serverKey, PKI.clientKey]);
    await reopen(secretKey);
    for (const value of await rawKeys(h.url, c.id)) expect(value).toMatch(/^sealed:v1:/);
    expect(await h.store.clusters.getPki(c.id)).toEqual(PKI);
  });

  it('refuses, saying what to do, to read sealed keys without the key or with another one', async () => {
    await reopen(secretKey);
    const c = await h.cluster((await h.account('a')).id, 'web');
    await h.store.clusters.putPki(c.id, PKI);
    await reopen(randomBytes(32));
    await expect(h.store.clusters.getPki(c.id)).rejects.toThrow(/cannot decrypt the CA key of cluster .*: the secret key \(CARINA_SECRET_KEY_FILE\) is not the one it was sealed with; restore/);
    await reopen(undefined);
    await expect(h.store.clusters.getPki(c.id)).rejects.toThrow(/this store holds sealed keys; open it with its secret key/);
  });
});
