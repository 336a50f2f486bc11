import type { ServerResponse } from 'node:http';

/** The header every answer of the registry API carries. */
export const DISTRIBUTION_API_VERSION = { 'docker-distribution-api-version': 'registry/2.0' } as const;

/** Answers with an error in the Distribution API's format; a response already begun is cut instead. */
export function registryError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ errors: [{ code, message, detail: null }] });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...DISTRIBUTION_API_VERSION, ...headers });
  res.end(body);
}
