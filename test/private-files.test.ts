import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from './support/server.js';

// What carina-server keeps on disk is for its own user only, also what an older version left readable.
describe('the data dir of a running carina-server', () => {
  const server = new TestServer('files');
  const mode = (name: string) => statSync(join(server.dataDir, name)).mode & 0o777;

  beforeAll(async () => {
    chmodSync(server.dataDir, 0o755);
    writeFileSync(join(server.dataDir, 'dockerd.log'), 'an older version wrote this\n', { mode: 0o644 });
    await server.start();
    await server.createAccount('alice'); // writes to the database
  });
  afterAll(() => server.cleanup());

  it('is 0700, and the database, its WAL, the secret key and the logs in it 0600', () => {
    expect(mode('.')).toBe(0o700);
    const files = ['carina.db', 'carina.db-wal', 'carina.db-shm', 'secret.key', 'dockerd.log', 'server.log'].filter((f) => existsSync(join(server.dataDir, f)));
    expect(files).toEqual(expect.arrayContaining(['carina.db', 'carina.db-wal', 'secret.key', 'dockerd.log']));
    expect(files.map((f) => [f, mode(f)])).toEqual(files.map((f) => [f, 0o600]));
    expect(readFileSync(server.logFile, 'utf8')).toMatch(/made private what other users could read: the directory \(now 0700\), dockerd\.log/);
  });

  it('tells an anonymous caller of /healthz only that it is up', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
  });
});
