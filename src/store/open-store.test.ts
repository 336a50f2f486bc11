import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore } from './open-store.js';

const mode = (path: string) => statSync(path).mode & 0o777;
const FILES = ['carina.db', 'carina.db-wal', 'carina.db-shm'];

/** Opens the store at `dir`/carina.db and writes a row, so SQLite has its WAL and shared memory open. */
async function openAndWrite(dir: string): Promise<() => Promise<void>> {
  const store = await openStore({ url: `sqlite:${join(dir, 'carina.db')}` });
  await store.accounts.create({ id: 'a1', name: `alice${Date.now()}`, keyHash: 'x', quotaClusters: 1, quotaNodes: 1 }).catch(() => undefined);
  return () => store.close();
}

describe('the SQLite store on disk', () => {
  it('keeps its database, WAL and shared memory 0600 (and a directory it makes 0700)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'carina-store-')), 'sub');
    const close = await openAndWrite(dir);
    expect(mode(dir)).toBe(0o700);
    for (const name of FILES) expect([name, mode(join(dir, name))]).toEqual([name, 0o600]);
    await close();
  });

  it('makes them 0600 when it finds them readable by others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carina-store-'));
    // A database an older version made (0644), left with its WAL and shared memory (as after a crash).
    const old = new SqliteDatabase(join(dir, 'carina.db'));
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    for (const name of FILES) chmodSync(join(dir, name), 0o644);
    const close = await openAndWrite(dir);
    for (const name of FILES) expect([name, mode(join(dir, name))]).toEqual([name, 0o600]);
    await close();
    old.close();
  });
});
