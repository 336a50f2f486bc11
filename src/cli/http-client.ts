import { Agent } from 'undici';
import { formatDuration } from './args.js';
import { ErrorCode } from '../wire/error-codes.js';
import { cliMessage, type Subject } from './error-wording.js';
import { CliCode, CliError, ExitCode } from './errors.js';
import { redactHeaders, redactText, truncate } from './format.js';

/** How the client reaches and authenticates to the API. */
export interface ClientOptions {
  readonly endpoint: string;
  /** Where the endpoint came from, for messages ("flags", "environment", …). */
  readonly endpointSource: string;
  readonly username: string | undefined;
  readonly apikey: string;
  /** Where the username and key came from, for the message when the server rejects them. */
  readonly credentialSources: string;
  /** Bound on every request, connection to last byte. */
  readonly timeoutMs: number;
  /** A CA (PEM) to trust for an https:// endpoint besides the system's; undefined: the system's only. */
  readonly ca?: string | undefined;
  readonly userAgent: string;
  readonly debug: ((line: string) => void) | undefined;
}

/** What `openStream` got: the stream, or an answer that is none. */
export type OpenedStream =
  | { readonly kind: 'stream'; readonly body: ReadableStream<Uint8Array>; readonly abort: () => void }
  | { readonly kind: 'answer'; readonly response: RawResponse };

/** A raw response. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  // HTTPS: the server's certificate is not one this client trusts.
  DEPTH_ZERO_SELF_SIGNED_CERT: "its certificate is self-signed: trust it with --cacert FILE (CARINA_CACERT)",
  SELF_SIGNED_CERT_IN_CHAIN: "its certificate comes from a CA this client does not trust: pass that CA with --cacert FILE (CARINA_CACERT; the server's own is <data dir>/api-ca.pem)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "its certificate comes from a CA this client does not trust: pass that CA with --cacert FILE (CARINA_CACERT; the server's own is <data dir>/api-ca.pem)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "its certificate comes from a CA this client does not trust: pass that CA with --cacert FILE (CARINA_CACERT; the server's own is <data dir>/api-ca.pem)",
  ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate is for another name: use the address the certificate names',
  CERT_HAS_EXPIRED: 'its certificate has expired',
};

/** HTTP with a deadline, authentication, --debug tracing and one-line errors. */
export class HttpClient {
  readonly #o: ClientOptions;
  /** Connections that trust the given CA (fetch's default trusts the system's CAs only). */
  readonly #dispatcher: Agent | undefined;

  constructor(options: ClientOptions) {
    this.#o = options;
    this.#dispatcher = options.ca === undefined ? undefined : new Agent({ connect: { ca: options.ca } });
  }

  get endpoint(): string {
    return this.#o.endpoint;
  }

  /** Sends a request; network failures and timeouts become CARINA_ERR_NETWORK (exit 6). */
  async send(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<RawResponse> {
    const o = this.#o;
    const url = `${o.endpoint}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': o.userAgent, ...extra };
    headers.authorization = o.username
      ? `Basic ${Buffer.from(`${o.username}:${o.apikey}`).toString('base64')}`
      : `Bearer ${o.apikey}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    this.#trace(`> ${method} ${url}`, Object.entries(headers), payload);
    const started = Date.now();
    try {
      const init = { method, headers, body: payload, signal: AbortSignal.timeout(o.timeoutMs), redirect: 'error' as const, dispatcher: this.#dispatcher };
      const res = await fetch(url, init);
      const buf = Buffer.from(await res.arrayBuffer());
      const type = res.headers.get('content-type') ?? '';
      const shown = /json|text/.test(type) ? buf.toString('utf8') : buf.length > 0 ? `<${buf.length} bytes of ${type || 'data'}>` : undefined;
      this.#trace(`< ${res.status} ${res.statusText} (${formatDuration(Date.now() - started)})`, [...res.headers.entries()], shown);
      return { status: res.status, headers: res.headers, body: buf };
    } catch (error) {
      throw this.#networkError(error, method, path);
    }
  }

  /**
   * Opens `GET path` asking for server-sent events. The answer's head must come within the request
   * timeout; the body is then the caller's to read for as long as it lasts (`abort` ends it). An
   * answer that is no event stream (an error, or an older server's JSON) is read whole and returned.
   */
  async openStream(path: string, lastEventId: string | undefined, signal?: AbortSignal): Promise<OpenedStream> {
    const extra: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId) extra['last-event-id'] = lastEventId;
    const o = this.#o;
    const url = `${o.endpoint}${path}`;
    const headers: Record<string, string> = { 'user-agent': o.userAgent, ...extra };
    headers.authorization = o.username ? `Basic ${Buffer.from(`${o.username}:${o.apikey}`).toString('base64')}` : `Bearer ${o.apikey}`;
    this.#trace(`> GET ${url}`, Object.entries(headers), undefined);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('no answer in time', 'TimeoutError')), o.timeoutMs);
    // The caller's stop ends the request too, also while it waits for the answer's headers.
    const stop = () => controller.abort();
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      const res = await fetch(url, { method: 'GET', headers, signal: controller.signal, redirect: 'error', dispatcher: this.#dispatcher });
      this.#trace(`< ${res.status} ${res.statusText}`, [...res.headers.entries()], undefined);
      if (res.status === 200 && res.body && /^text\/event-stream\b/i.test(res.headers.get('content-type') ?? '')) {
        return { kind: 'stream', body: res.body, abort: () => controller.abort() };
      }
      const body = Buffer.from(await res.arrayBuffer());
      return { kind: 'answer', response: { status: res.status, headers: res.headers, body } };
    } catch (error) {
      throw this.#networkError(error, 'GET', path);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    }
  }

  /** Sends a request and parses the JSON answer; API errors become CliErrors with the server's code. */
  async json<T>(method: string, path: string, body?: unknown, subject?: Subject): Promise<T> {
    const res = await this.send(method, path, body);
    if (res.status >= 200 && res.status < 300) return parseJson<T>(res, this.#o.endpoint);
    throw this.error(res, subject);
  }

  /** The CliError for a non-2xx answer about `subject`, with a CLI-oriented message for rejected credentials. */
  error(res: RawResponse, subject?: Subject): CliError {
    const error = apiError(res, this.#o.endpoint, subject);
    if (error.code !== ErrorCode.UNAUTHORIZED) return error;
    const why = error.message.split(':')[0] ?? 'invalid API key';
    return new CliError(
      error.code,
      `${this.#o.endpoint} rejected the credentials (${why}; ${this.#o.credentialSources}): ` +
        'check --apikey / CARINA_APIKEY, --username / CARINA_USERNAME, or the profile in config.toml',
      { httpStatus: res.status },
    );
  }

  #networkError(error: unknown, method: string, path: string): CliError {
    const o = this.#o;
    const where = `the Carina API at ${o.endpoint} (endpoint from ${o.endpointSource})`;
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return new CliError(CliCode.NETWORK, `no answer from ${where} within ${formatDuration(o.timeoutMs)} to ${method} ${path}: check that the server is running and reachable`);
    }
    const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
    const reason = (cause?.code && REASONS[cause.code]) ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    return new CliError(CliCode.NETWORK, `cannot reach ${where}: ${reason}; check --endpoint / CARINA_ENDPOINT and that the server is running`, { cause: error });
  }

  #trace(first: string, headers: [string, string][], body: string | undefined): void {
    const log = this.#o.debug;
    if (!log) return;
    const secrets = [this.#o.apikey];
    log(first);
    for (const line of redactHeaders(headers)) log(`${first[0]} ${line}`);
    if (body !== undefined && body !== '') log(`${first[0]} ${truncate(redactText(body, secrets))}`);
  }
}

/** Parses a JSON body or fails with CARINA_ERR_BAD_RESPONSE. */
export function parseJson<T>(res: RawResponse, endpoint: string): T {
  try {
    return JSON.parse(res.body.toString('utf8')) as T;
  } catch {
    throw new CliError(CliCode.BAD_RESPONSE, `${endpoint} answered HTTP ${res.status} with a body that is not JSON: is it a Carina API endpoint?`, { httpStatus: res.status });
  }
}

/** The CliError for a non-2xx answer: the server's code and message (in the CLI's words where it has them), or a generic one. */
export function apiError(res: RawResponse, endpoint: string, subject?: Subject): CliError {
  let parsed: { error?: { code?: unknown; message?: unknown } } | undefined;
  try {
    parsed = JSON.parse(res.body.toString('utf8')) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const code = parsed?.error?.code;
  const message = parsed?.error?.message;
  if (typeof code === 'string' && typeof message === 'string') {
    return new CliError(code, cliMessage(code, message, subject), { httpStatus: res.status });
  }
  const snippet = res.body.toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 120);
  return new CliError(CliCode.BAD_RESPONSE, `unexpected HTTP ${res.status} from ${endpoint}${snippet ? `: ${snippet}` : ''}`, {
    httpStatus: res.status,
    exitCode: res.status === 401 || res.status === 403 ? ExitCode.AUTH : ExitCode.UNAVAILABLE,
  });
}
