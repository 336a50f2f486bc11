import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Io } from '../context.js';
import { failureOf, runCli } from '../program.js';

/** One request the fake API received. */
export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
}

/** An answer: status, JSON body (or raw bytes with a type). */
export type Answer = { readonly status: number; readonly json?: unknown; readonly bytes?: Buffer; readonly type?: string };

/** The API's error document. */
export const apiError = (status: number, code: string, message: string): Answer => ({ status, json: { error: { code, message } } });

/**
 * A real HTTP server on 127.0.0.1 answering by `METHOD path` from `routes` (404 NOT_FOUND
 * otherwise), recording every request: the CLI is tested through its real HTTP client.
 */
export class FakeApi {
  readonly seen: Seen[] = [];
  readonly routes = new Map<string, Answer>();
  #server: Server | undefined;
  #url = '';

  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    this.#server = createServer((req: IncomingMessage, res) => {
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
      req.resume();
      const a = this.routes.get(`${req.method} ${req.url}`) ?? apiError(404, 'CARINA_ERR_NOT_FOUND', 'no such endpoint');
      if (a.bytes) res.writeHead(a.status, { 'content-type': a.type ?? 'application/octet-stream' }).end(a.bytes);
      else if (a.json === undefined) res.writeHead(a.status).end();
      else res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.json));
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** What one `carina` invocation printed and its exit code. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** The error line (empty on success). */
  readonly line: string;
}

/** Runs `carina argv` in-process with `env` (no process env leaks in), as main.ts would. */
export async function runCarina(argv: string[], env: Record<string, string>, cwd = '/'): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { env, cwd, home: env.HOME ?? '/nonexistent', stderrIsTTY: false, out: (s) => void out.push(s), err: (s) => void err.push(s) };
  try {
    await runCli(argv, io, '9.9.9');
    return { code: 0, out: out.join(''), err: err.join(''), line: '' };
  } catch (error) {
    const f = failureOf(error, argv);
    if (f.json) out.push(f.json);
    return { code: f.exitCode, out: out.join(''), err: err.join(''), line: f.line };
  }
}
