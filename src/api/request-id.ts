import { randomUUID } from 'node:crypto';

/** What a request id a client (or a proxy in front) sends may be: a short token, safe in a log line and a header. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The id of one API request: the client's `X-Request-Id` when it is a safe short token (so a proxy's
 * id follows the request through), else a new UUID. Anything longer or with other characters is
 * not trusted into the log.
 */
export function requestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_ID.test(header) ? header : randomUUID();
}
