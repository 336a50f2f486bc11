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

  it('refuses a file that is not one, saying what to do', async () => {
    const path = join(dir, 'bad.key');
    writeFileSync(path, 'hello\n');
    await expect(loadSecretKey(path, () => undefined)).rejects.toThrow(/bad\.key is not a secret key .* restore it from your backup/);
  });
});
