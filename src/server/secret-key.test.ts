import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretKey } from './secret-key.js';

describe('the secret key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carina-secret-'));

  it('is made once (0600, 32 bytes) and read back the same by later starts', async () => {
    const path = join(dir, 'secret.key');
    const lines: string[] = [];
    const first = await loadSecretKey(path, (l) => lines.push(l));
    expect(first).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await loadSecretKey(path, (l) => lines.push(l))).toEqual(first);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/made a new secret key .* \(back it up with the database\)/);
  });

  it('is made 0600 when found readable by others (restored from a backup, say)', async () => {
    const path = join(dir, 'restored.key');
    writeFileSync(path, `${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o644 });
    const lines: string[] = [];
    expect(await loadSecretKey(path, (l) => lines.push(l))).toEqual(Buffer.alloc(32, 7));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(lines).toEqual([`the secret key ${path} was readable by other users: it is 0600 now`]);
  });

  it('refuses a file that is not one, saying what to do', async () => {
    const path = join(dir, 'bad.key');
    writeFileSync(path, 'hello\n');
    await expect(loadSecretKey(path, () => undefined)).rejects.toThrow(/bad\.key is not a secret key .* restore it from your backup/);
  });
});
