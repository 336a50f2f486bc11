import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DISTRIBUTION_API_VERSION, registryError } from './registry-error.js';

const BLOB = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/;

/** What the registry front needs to serve blobs from the registry's files itself. */
export interface BlobFiles {
  /** Whether `authorization` (a `Bearer …` header) is a valid token granting pull of `repository`. */
  readonly mayPull: (authorization: string | undefined, repository: string) => Promise<boolean>;
  /** The file holding `digest` if `repository` holds it, else undefined. */
  readonly file: (repository: string, digest: string) => Promise<{ path: string; size: number } | undefined>;
}

/** A whole-blob GET/HEAD served from the registry's file, as Distribution's filesystem driver would; false to pass it on. */
export async function serveBlobFile(req: IncomingMessage, res: ServerResponse, url: URL, blobs: BlobFiles): Promise<boolean> {
  const match = BLOB.exec(url.pathname);
  if (!match?.[1] || !match[2] || req.headers.range !== undefined || url.search !== '') return false;
  const [, repository, digest] = match;
  if (!(await blobs.mayPull(req.headers.authorization, repository))) return false;
  const file = await blobs.file(repository, digest);
  if (!file) return false;
  const headers = {
    'content-type': 'application/octet-stream',
    'content-length': String(file.size),
    'docker-content-digest': digest,
    etag: `"${digest}"`,
    'cache-control': 'max-age=31536000',
    'accept-ranges': 'bytes',
    ...DISTRIBUTION_API_VERSION,
    'x-content-type-options': 'nosniff',
  };
  if (req.method === 'HEAD') {
    res.writeHead(200, headers);
    res.end();
    return true;
  }
  const stream = createReadStream(file.path, { highWaterMark: 256 * 1024 });
  await new Promise<void>((resolve) => {
    stream.once('open', () => {
      res.writeHead(200, headers);
      stream.pipe(res);
    });
    // Gone between the check and the read (garbage collection): before the answer began, say so; after, cut it.
    stream.once('error', () => {
      if (!res.headersSent) registryError(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
      else res.destroy();
      resolve();
    });
    res.once('close', () => {
      stream.destroy();
      resolve();
    });
  });
  return true;
}
