import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { writeFile } from 'node:fs/promises';

const run = promisify(execFile);

/** Unzips a credentials bundle into a fresh directory and returns it. */
export async function extractBundle(zip: Buffer): Promise<{ dir: string; entries: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'carina-bundle-'));
  const entries: string[] = [];
  const zipfile = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  await new Promise<void>((resolve, reject) => {
    zipfile.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry.fileName);
      zipfile.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const mode = (entry.externalFileAttributes >>> 16) & 0o777;
          writeFile(join(dir, entry.fileName), Buffer.concat(chunks), { mode: mode || 0o600 }).then(() => zipfile.readEntry(), reject);
        });
      });
    });
    zipfile.on('end', resolve);
    zipfile.on('error', reject);
    zipfile.readEntry();
  });
  return { dir, entries };
}

/** Runs the real `docker` client the way a user would: `source docker.env; docker ARGS`. */
export async function dockerWithBundle(bundleDir: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const { stdout } = await run('bash', ['-c', `set -eu; source '${bundleDir}/docker.env'; docker ${quoted}`], {
    timeout: timeoutMs,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: bundleDir },
  });
  return stdout;
}
