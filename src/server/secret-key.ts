import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';

/**
 * The secret key that seals the clusters' private keys in the store: 32 random bytes, base64, in
 * `path` (0600). Made on first start; replicas sharing the data dir share it (the first to start
 * writes it, exclusively, and the others read it). Losing it makes every cluster's key material
 * unreadable, so it is backed up with the database — and kept apart from database backups. One
 * that other users can read (restored from a backup, made by hand) is made 0600.
 */
export async function loadSecretKey(path: string, log: (line: string) => void): Promise<Buffer> {
  try {
    await writeFile(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    log(`made a new secret key for the clusters' private keys: ${path} (back it up with the database)`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot write the secret key ${path}: ${(e as Error).message}`);
    if (((await stat(path)).mode & 0o077) !== 0) {
      await chmod(path, 0o600);
      log(`the secret key ${path} was readable by other users: it is 0600 now`);
    }
  }
  const text = (await readFile(path, 'utf8')).trim();
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32 || key.toString('base64') !== text) {
    throw new Error(`${path} is not a secret key (want 32 bytes in base64, as carina-server writes it); restore it from your backup, or point CARINA_SECRET_KEY_FILE at it`);
  }
  return key;
}
