import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Makes the data directory private to the control plane's user: the directory 0700 and every file
 * directly in it 0600 (database, secret key, dockerd and lxcfs logs…), also those an older version
 * or another tool left readable. Node sockets and the image cache live in subdirectories that are
 * unreachable through it. Logs what it tightened.
 */
export async function preparePrivateDataDir(dir: string, log: (line: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tightened: string[] = [];
  const tighten = async (path: string, mode: number, name: string) => {
    try {
      await chmod(path, mode);
      tightened.push(name);
    } catch (e) {
      // Another user's file (dockerd's log started by hand as root): say so rather than not start.
      log(`data dir ${dir}: ${name} is readable by other users and cannot be made private (${(e as NodeJS.ErrnoException).code ?? String(e)}): chmod ${mode.toString(8)} ${path}`);
    }
  };
  if (((await lstat(dir)).mode & 0o077) !== 0) await tighten(dir, 0o700, 'the directory (now 0700)');
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const stats = await lstat(path).catch(() => undefined); // removed meanwhile (a WAL at checkpoint)
    if (stats?.isFile() && (stats.mode & 0o077) !== 0) await tighten(path, 0o600, name);
  }
  if (tightened.length > 0) log(`data dir ${dir}: made private what other users could read: ${tightened.join(', ')} (files now 0600)`);
}
