import { chmod, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { CliCode, CliError } from './errors.js';
import { BUNDLE_MARKER, removalProblem } from './local-paths.js';

/** The file where the serial (ETag) of the written bundle's client certificate is kept. */
export const SERIAL_FILE = '.carina-serial';
/** Files every bundle must contain. */
export const REQUIRED_FILES = ['ca.pem', 'cert.pem', 'key.pem', 'docker.env'] as const;
const MAX_ENTRY_BYTES = 1024 * 1024;

const localError = (message: string, cause?: unknown) => new CliError(CliCode.LOCAL, message, { cause });

/** The files of a bundle zip (flat names only: anything with a path is refused). */
export async function unzipBundle(zip: Buffer): Promise<Map<string, Buffer>> {
  const zipfile = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))),
  ).catch((error: unknown) => {
    throw new CliError(CliCode.BAD_RESPONSE, `the credentials bundle is not a valid zip: ${String(error)}`);
  });
  const files = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zipfile.on('entry', (entry: yauzl.Entry) => {
      const name = entry.fileName;
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || entry.uncompressedSize > MAX_ENTRY_BYTES) {
        zipfile.close();
        return reject(new CliError(CliCode.BAD_RESPONSE, `the credentials bundle has an unexpected entry "${name}"`));
      }
      zipfile.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => {
          files.set(name, Buffer.concat(chunks));
          zipfile.readEntry();
        });
      });
    });
    zipfile.on('end', () => resolve());
    zipfile.on('error', reject);
    zipfile.readEntry();
  });
  const missing = REQUIRED_FILES.filter((f) => !files.has(f));
  if (missing.length > 0) throw new CliError(CliCode.BAD_RESPONSE, `the credentials bundle lacks ${missing.join(', ')}`);
  return files;
}

/** Creates `dir` (and missing parents) with mode 0700. */
export async function makePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw localError(`cannot create ${dir}: ${(error as Error).message}; pick another directory with --path`, error);
  }
}

/** Writes the bundle into `dir` (0700): every file 0600, each replaced atomically, then the serial. */
export async function writeBundle(dir: string, files: ReadonlyMap<string, Buffer>, serial: string | undefined, ownDir: boolean): Promise<void> {
  await makePrivateDir(dir);
  try {
    if (ownDir) await chmod(dir, 0o700);
    for (const [name, content] of files) {
      const tmp = join(dir, `.${name}.tmp-${process.pid}`);
      await writeFile(tmp, content, { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, join(dir, name));
    }
    await writeFile(join(dir, SERIAL_FILE), `${serial ?? ''}\n`, { mode: 0o600 });
  } catch (error) {
    throw localError(`cannot write the credentials to ${dir}: ${(error as Error).message}`, error);
  }
}

/** The serial of the complete bundle in `dir`, '' if it has none recorded, undefined if files are missing. */
export async function localSerial(dir: string): Promise<string | undefined> {
  for (const file of REQUIRED_FILES) {
    try {
      if (!(await lstat(join(dir, file))).isFile()) return undefined;
    } catch {
      return undefined;
    }
  }
  try {
    return (await readFile(join(dir, SERIAL_FILE), 'utf8')).trim();
  } catch {
    return '';
  }
}

/**
 * Removes a cluster's local credentials directory, only if it is safe: strictly inside `root`, a
 * real directory (not a symlink) holding `ca.pem`. Returns whether something was removed.
 */
export async function removeCredentialsDir(dir: string, root: string, cwd: string, home: string): Promise<boolean> {
  const problem = removalProblem(dir, root, cwd, home);
  if (problem) throw localError(`not removing local credentials: ${problem}`);
  let stat;
  try {
    stat = await lstat(dir);
  } catch {
    return false;
  }
  if (!stat.isDirectory() || stat.isSymbolicLink()) throw localError(`not removing ${dir}: it is not a plain directory`);
  try {
    await lstat(join(dir, BUNDLE_MARKER));
  } catch {
    throw localError(`not removing ${dir}: it holds no ${BUNDLE_MARKER}, so it is not a credentials directory`);
  }
  await rm(dir, { recursive: true, force: true });
  return true;
}
