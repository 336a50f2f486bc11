/**
 * What the Docker API gateway adds, measured against talking to the manager engine directly (its
 * unix socket on the host), in the same run: a small `GET /_ping`, `docker ps` (API call and real
 * CLI), and a 100 MB `docker cp` both ways. Run with `npm run build && npm run bench:gateway`;
 * results go to bench/results/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../test/support/api-client.js';
import { extractBundle } from '../test/support/docker-cli.js';
import { endpointOf } from '../test/support/gateway-client.js';
import { TestServer } from '../test/support/server.js';

const PING_ROUNDS = 20;
const PING_PER_ROUND = 100;
const CLI_RUNS = 30;
const COPY_RUNS = 5;
const COPY_MB = 100;

type Get = (path: string) => Promise<number>;

function getter(agent: http.Agent, options: http.RequestOptions, secure: boolean): Get {
  return (path) =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = (secure ? https : http).get({ ...options, agent, path }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
      });
      req.on('error', reject);
    });
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { n: s.length, p50: r(at(0.5)), p90: r(at(0.9)), p99: r(at(0.99)), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

/** Alternates direct and gateway runs so both see the same machine state. */
async function paired(rounds: number, direct: () => Promise<number[]>, gateway: () => Promise<number[]>) {
  const d: number[] = [];
  const g: number[] = [];
  for (let i = 0; i < rounds; i++) {
    d.push(...(await direct()));
    g.push(...(await gateway()));
  }
  return { direct: stats(d), gateway: stats(g), addedP50Ms: Math.round((stats(g).p50 - stats(d).p50) * 1000) / 1000 };
}

function timed(cmd: string, env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', cmd], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr.toString()}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function main(): Promise<void> {
  const server = new TestServer('bench');
  try {
    await server.start();
    const api = new ApiClient(server.url, await server.createAccount('bench'));
    const id = (await api.request<{ id: string }>('POST', '/v1/clusters', { name: 'bench', nodes: 1 })).body.id;
    await api.waitFor('bench', (c: { status: string }) => c.status === 'active', 240_000);
    const bundle = (await extractBundle((await api.request('GET', '/v1/clusters/bench/credentials')).body as Buffer)).dir;
    const socketPath = join(server.dataDir, 'nodes', id, 'n0', 'docker.sock');
    const { host, port } = endpointOf(bundle);
    const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: bundle };
    const directEnv = { ...base, DOCKER_HOST: `unix://${socketPath}` };
    const gatewayEnv = { ...base, DOCKER_HOST: `tcp://${host}:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: bundle };

    const directGet = getter(new http.Agent({ keepAlive: true, maxSockets: 1 }), { socketPath }, false);
    const tls = { ca: readFileSync(join(bundle, 'ca.pem')), cert: readFileSync(join(bundle, 'cert.pem')), key: readFileSync(join(bundle, 'key.pem')) };
    const gatewayGet = getter(new https.Agent({ keepAlive: true, maxSockets: 1, ...tls }), { host, port }, true);
    const batch = (get: Get, path: string, n: number) => async () => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(await get(path));
      return out;
    };
    await batch(directGet, '/_ping', 200)();
    await batch(gatewayGet, '/_ping', 200)();

    console.log('GET /_ping …');
    const ping = await paired(PING_ROUNDS, batch(directGet, '/_ping', PING_PER_ROUND), batch(gatewayGet, '/_ping', PING_PER_ROUND));
    console.log('GET /containers/json …');
    for (let i = 0; i < 5; i++) execFileSync('docker', ['run', '-d', 'carina/busybox', 'sleep', '3600'], { env: directEnv, stdio: 'ignore' });
    const psApi = await paired(10, batch(directGet, '/v1.41/containers/json', 50), batch(gatewayGet, '/v1.41/containers/json', 50));
    console.log('docker ps (CLI) …');
    const psCli = await paired(CLI_RUNS, () => Promise.resolve([timed('docker ps -q', directEnv)]), () => Promise.resolve([timed('docker ps -q', gatewayEnv)]));

    console.log(`docker cp of ${COPY_MB} MB …`);
    const blob = join(bundle, 'blob.bin');
    writeFileSync(blob, execFileSync('head', ['-c', String(COPY_MB * 1024 * 1024), '/dev/urandom'], { maxBuffer: 200 * 1024 * 1024 }));
    execFileSync('docker', ['run', '-d', '--name', 'cp', 'carina/busybox', 'sleep', '3600'], { env: directEnv, stdio: 'ignore' });
    execFileSync('docker', ['cp', blob, 'cp:/blob.bin'], { env: directEnv });
    const mbps = (ms: number) => Math.round((COPY_MB / (ms / 1000)) * 10) / 10;
    const copy = (cmd: string) => {
      const d: number[] = [];
      const g: number[] = [];
      for (let i = 0; i < COPY_RUNS; i++) {
        d.push(timed(cmd, directEnv));
        g.push(timed(cmd, gatewayEnv));
      }
      const ds = stats(d);
      const gs = stats(g);
      return { directMs: ds, gatewayMs: gs, directMBps: mbps(ds.p50), gatewayMBps: mbps(gs.p50), ratio: Math.round((ds.p50 / gs.p50) * 1000) / 1000 };
    };
    const copyOut = copy('docker cp cp:/blob.bin - > /dev/null');
    const copyIn = copy(`docker cp '${blob}' cp:/blob-in.bin`);

    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      note: 'direct = the manager engine\'s unix socket on the host (plain HTTP); gateway = mutual TLS to the control plane, policy, audit, then that socket',
      pingMs: ping,
      containersJsonMs: psApi,
      dockerPsCliMs: psCli,
      copyOut100MB: copyOut,
      copyIn100MB: copyIn,
    };
    const dir = join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `gateway-${results.at.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(dir, 'gateway-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await server.cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
