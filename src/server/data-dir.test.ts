import { chmodSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { preparePrivateDataDir } from './data-dir.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the data dir', () => {
  it('is made 0700 when new', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'carina-data-')), 'new', 'data');
    await preparePrivateDataDir(dir, () => undefined);
    expect(mode(dir)).toBe(0o700);
  });

  it('is made private at start when an older version left it and its files readable, and says so once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carina-data-'));
    chmodSync(dir, 0o755);
    for (const name of ['carina.db', 'carina.db-wal', 'carina.db-shm', 'dockerd.log', 'lxcfs.log']) writeFileSync(join(dir, name), 'x', { mode: 0o644 });
    writeFileSync(join(dir, 'secret.key'), 'x', { mode: 0o600 });
    mkdirSync(join(dir, 'images'), { mode: 0o755 });
    const outside = join(mkdtempSync(join(tmpdir(), 'carina-elsewhere-')), 'file');
    writeFileSync(outside, 'x', { mode: 0o644 });
    symlinkSync(outside, join(dir, 'link'));
    const lines: string[] = [];
    await preparePrivateDataDir(dir, (l) => lines.push(l));
    expect(mode(dir)).toBe(0o700);
    for (const name of ['carina.db', 'carina.db-wal', 'carina.db-shm', 'dockerd.log', 'lxcfs.log', 'secret.key']) expect([name, mode(join(dir, name))]).toEqual([name, 0o600]);
    expect(mode(outside)).toBe(0o644); // a link is not followed out of the data dir
    expect(lines).toEqual([
      `data dir ${dir}: made private what other users could read: the directory (now 0700), carina.db, carina.db-shm, carina.db-wal, dockerd.log, lxcfs.log (files now 0600)`,
    ]);
    await preparePrivateDataDir(dir, (l) => lines.push(l));
    expect(lines).toHaveLength(1);
  });
});
