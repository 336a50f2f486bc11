import { isAbsolute, relative, resolve, sep } from 'node:path';
import { usageError } from './errors.js';

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;

/** Files that mark a directory as a credentials bundle. */
export const BUNDLE_MARKER = 'ca.pem';

/**
 * Why removing `target` as a credentials directory would be unsafe, or null when it may go.
 * Pure path checks: never an empty path, `.`, `..`, a root, the working or home directory, and
 * only strictly inside `root` (`$CARINA_HOME/clusters`). The caller must still check, on disk,
 * that it is a real directory (not a symlink) holding `ca.pem`.
 */
export function removalProblem(target: string, root: string, cwd: string, home: string): string | null {
  const raw = target.trim();
  if (raw === '') return 'the path is empty';
  if (raw === '.' || raw === '..' || raw === '~') return `"${raw}" is not a credentials directory`;
  if (root.trim() === '') return 'the credentials root is empty';
  const abs = resolve(cwd, raw);
  const absRoot = resolve(cwd, root);
  if (abs === resolve('/') || /^[A-Za-z]:\\?$/.test(abs)) return 'refusing to remove a filesystem root';
  if (abs === resolve(cwd) || abs === resolve(home)) return `refusing to remove ${abs}: it is the working or home directory`;
  const rel = relative(absRoot, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return `${abs} is not inside ${absRoot}`;
  if (rel.split(sep).some((part) => part === '' || part === '.' || part === '..')) return `${abs} is not a plain subdirectory`;
  return null;
}

/** The default credentials directory of a cluster: `<home>/clusters/<user>/<cluster>`. */
export function credentialsDir(carinaHome: string, user: string, cluster: string): string {
  return resolve(carinaHome, 'clusters', user, cluster);
}

/** True when `value` can be one directory name (no separators, not `.`/`..`). */
export function isSafeSegment(value: string): boolean {
  return value.length > 0 && value.length <= 128 && SEGMENT.test(value) && !value.includes('..');
}

/** The account directory name for local credentials: the username, else the key's account id. */
export function credentialsUser(username: string | undefined, apikey: string | undefined): string {
  if (username) {
    if (!isSafeSegment(username)) throw usageError(`username "${username}" cannot name a directory: use letters, digits, "_", "-", "." or "@"`);
    return username;
  }
  const id = /^carina_([a-f0-9]{12,32})_/.exec(apikey ?? '')?.[1];
  return id ? `account-${id}` : 'default';
}
