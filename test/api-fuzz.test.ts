import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatusOf } from '../src/api/http-errors.js';
import { isErrorCode } from '../src/wire/error-codes.js';
import { ApiClient } from './support/api-client.js';
import { apiRequest, operationsOf, type ApiFuzzRequest, type Operation } from './support/api-fuzz.js';
import { TestServer } from './support/server.js';

// The API fuzz campaign (issue 15): requests generated from the OpenAPI document the server serves
// (test/support/api-fuzz.ts), sent as raw bytes to a real carina-server. Every answer must come within
// the timeout, never be a 5xx, have a status the document gives the route (or one the API gives any
// request: below), and every failure the `{"error":{"code","message"}}` shape with a contract code
// whose status it is, and a short message. The server's RSS must be flat across the run.
// CARINA_FUZZ_SEED / CARINA_FUZZ_RUNS for other and longer campaigns (docs/reliability.md).
const SEED = Number(process.env.CARINA_FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.CARINA_FUZZ_RUNS ?? 10_000);
const PARALLEL = 4;
const ANSWER_TIMEOUT_MS = 10_000;
/** RSS may grow this much over the run (see docs/reliability.md for why this margin). */
const RSS_MARGIN_MIB = 40;

/**
 * Statuses any request may get, whatever its route: malformed (400), no such route (404), body
 * too large (413), unsupported body (415), throttled key guessing (429), headers too large (431);
 * plus 401 on every route that needs credentials.
 */
const ANY_ROUTE = [400, 404, 413, 415, 429, 431];
/** The longest message an error may have: prose around a tag's repository (255) and name (128). */
const MESSAGE_MAX = 512;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

describe(`API fuzz campaign (seed ${SEED}, ${RUNS} requests)`, () => {
  // The registry runs (as it does for users), so its routes answer for real rather than 503.
  const server = new TestServer('apifuzz', { env: { CARINA_REGISTRY: 'on' } });
  let key = '';

  beforeAll(async () => {
    await server.start();
    // One cluster of one node at most: generated creates and grows cannot make the engine build many.
    key = await server.createAccount('fuzzer', '--clusters', '1', '--nodes', '1');
  });
  afterAll(async () => {
    await server.cleanup();
  });

  it('answers every request with a documented status in the API shape, never a 5xx or a hang, with flat memory', async () => {
    const setupStarted = Date.now();
    const doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThanOrEqual(20);
    const requests = fc.sample(apiRequest(ops, key, 'fz'), { seed: SEED, numRuns: RUNS });
    const { port } = new URL(server.url);
    const pid = serverPid(server.dataDir);

    // Warm up (JIT, caches, the first cluster) with the campaign's own first requests, then measure.
    for (const r of requests.slice(0, 200)) await exchange(Number(port), r.wire);
    const rssBefore = await settledRss(pid);
    console.log(`api fuzz: set up and warmed up in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`);

    const findings: string[] = [];
    // Each finding's request, byte for byte, to replay by hand.
    const findingsFile = join(tmpdir(), `api-fuzz-findings-${SEED}.txt`);
    writeFileSync(findingsFile, '');
    const statuses = new Map<number, number>();
    const codes = new Map<string, number>();
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < requests.length) {
          const request = requests[next++] as ApiFuzzRequest;
          const answer = await exchange(Number(port), request.wire);
          const fault = judge(ops, request, answer);
          if (fault) writeFileSync(findingsFile, `${fault}\n${request.wire.toString('latin1')}\n----\n`, { flag: 'a' });
          if (fault) findings.push(`${fault}: ${request.method} ${request.target.slice(0, 160)} → ${answer ? `${answer.status} ${answer.body.slice(0, 200)}` : 'no answer'}`);
          if (answer) {
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            const code = /"code":"(CARINA_ERR_\w+)"/.exec(answer.body)?.[1];
            if (code) codes.set(code, (codes.get(code) ?? 0) + 1);
          }
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const rssAfter = await settledRss(pid);
    const sorted = <K,>(m: Map<K, number>) => JSON.stringify(Object.fromEntries([...m].sort(([a], [b]) => String(a).localeCompare(String(b)))));
    console.log(
      `api fuzz: ${requests.length} requests in ${seconds.toFixed(1)} s (${(requests.length / seconds).toFixed(0)}/s); RSS ${rssBefore} → ${rssAfter} MiB; ` +
        `statuses ${sorted(statuses)}; codes ${sorted(codes)}; findings ${findings.length}${findings.length > 0 ? ` (requests in ${findingsFile})` : ''}`,
    );
    expect(findings.slice(0, 30)).toEqual([]);
    // The campaign is not trivially refused: generated creates and reads got through.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(100);
    expect(rssAfter - rssBefore).toBeLessThanOrEqual(RSS_MARGIN_MIB);

    // Leave nothing for the reconciler: delete what the campaign created, and wait until it is gone.
    const api = new ApiClient(server.url, key);
    const left = (await api.request('GET', '/v1/clusters')).body as { clusters: Array<{ name: string }> };
    for (const c of left.clusters) await api.request('DELETE', `/v1/clusters/${encodeURIComponent(c.name)}`);
    for (let i = 0; i < 120 && ((await api.request('GET', '/v1/clusters')).body as { clusters: unknown[] }).clusters.length > 0; i++) await sleep(500);
    console.log(`api fuzz: ${left.clusters.length} cluster(s) left, deleted in ${((Date.now() - started) / 1000 - seconds).toFixed(1)} s after the run`);
  }, 10 * 60_000);
});

/** What is wrong with `answer` to `request`, if anything. */
function judge(ops: readonly Operation[], request: ApiFuzzRequest, answer: Answer | undefined): string | undefined {
  if (!answer) return 'no answer';
  const { status, headers, body } = answer;
  if (status >= 500) return 'server error';
  // The route the method and path name (Fastify answers HEAD with its GET route), if any: a path
  // generated for a DELETE may be a GET route's too (`/v1/clusters/{name}`).
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const operation = ops.find((o) => o.path === request.template && o.method === method);
  const allowed = new Set([...ANY_ROUTE, ...(operation?.statuses ?? []), ...(operation?.secured ? [401] : [])]);
  if (request.portalPage && (request.method === 'GET' || request.method === 'HEAD')) allowed.add(200);
  // Known gap (docs/reliability.md): the contract leaves the credentials zip's 200 out of the document.
  if (operation?.path === '/v1/clusters/{name}/credentials') allowed.add(200);
  if (!allowed.has(status)) return `status ${status} not documented`;
  if (status < 400) return undefined;
  if (request.method === 'HEAD') return undefined; // no body to judge
  if (!/^application\/json/.test(headers['content-type'] ?? '')) return `error with Content-Type ${headers['content-type']}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'error body is not JSON';
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
  if (Object.keys(parsed as object).join() !== 'error' || Object.keys(error ?? {}).sort().join() !== 'code,message') return 'error body not {"error":{"code","message"}}';
  if (typeof error?.code !== 'string' || !isErrorCode(error.code)) return `unknown code ${String(error?.code)}`;
  if (httpStatusOf(error.code) !== status) return `code ${error.code} with status ${status}`;
  // Messages may quote what the contract lets through (a repository name: 255 characters), never more.
  if (typeof error.message !== 'string' || error.message.length > MESSAGE_MAX) return `message over ${MESSAGE_MAX} characters (an echo of the input?)`;
  return undefined;
}

/** Writes `bytes` on a new connection and reads the answer until the server closes it (or the timeout). */
function exchange(port: number, bytes: Buffer): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    const timer = setTimeout(() => socket.destroy(), ANSWER_TIMEOUT_MS);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks)));
    });
  });
}

/** The (last) response in `raw`: a 100 Continue may come first. */
function parseAnswer(raw: Buffer): Answer | undefined {
  let text = raw.toString('latin1');
  while (/^HTTP\/1\.1 100 /.test(text)) text = text.slice(text.indexOf('\r\n\r\n') + 4);
  const end = text.indexOf('\r\n\r\n');
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  if (!m || end < 0) return undefined;
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, end).split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = text.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    let out = '';
    while (body.length > 0) {
      const nl = body.indexOf('\r\n');
      const size = parseInt(body.slice(0, nl), 16);
      if (!(size > 0)) break;
      out += body.slice(nl + 2, nl + 2 + size);
      body = body.slice(nl + 2 + size + 2);
    }
    body = out;
  }
  return { status: Number(m[1]), headers, body: Buffer.from(body, 'latin1').toString('utf8') };
}

/** The pid of the carina-server whose data dir is `dataDir` (its environment says). */
function serverPid(dataDir: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('carina-server.js\0up')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`CARINA_DATA_DIR=${dataDir}`)) return Number(entry);
    } catch {
      /* gone, or not ours to read */
    }
  }
  throw new Error(`no carina-server process for ${dataDir}`);
}

/** VmRSS in MiB after a pause long enough for the server's idle-time GC. */
async function settledRss(pid: number): Promise<number> {
  await sleep(3_000);
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round(kib / 1024);
}
