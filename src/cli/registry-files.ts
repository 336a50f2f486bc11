import { constants } from 'node:fs';
import { access, chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The text of `file`, or undefined when it cannot be read (absent, a directory, no permission). */
export async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Whether this process may create or replace files in `dir`: the nearest directory of it that
 * exists is writable (for root, any directory on a writable file system). A file in the way: no.
 */
export async function canWriteDir(dir: string): Promise<boolean> {
  for (let d = dir; ; ) {
    const st = await stat(d).catch(() => undefined);
    if (st) {
      if (!st.isDirectory()) return false;
      return access(d, constants.W_OK).then(
        () => true,
        () => false,
      );
    }
    const parent = dirname(d);
    if (parent === d) return false;
    d = parent;
  }
}

/**
 * Writes `text` to `<dir>/<name>` with `mode`, replacing it at once (a temporary file renamed over it),
 * creating `dir` (and its parents) with `dirMode` if needed.
 */
export async function writeFileAtomic(dir: string, name: string, text: string, mode: number, dirMode: number): Promise<string> {
  const created = await mkdir(dir, { recursive: true, mode: dirMode });
  if (created !== undefined) await chmod(dir, dirMode); // the umask may have narrowed it
  const file = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, text, { mode });
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return file;
}
