/**
 * What the Docker API gateway adds, measured against talking to the manager engine directly (its
 * unix socket on the host) and against a node's dockerd serving TLS itself, in the same run: a small
 * `GET /_ping`, `docker ps` (API call and real CLI), a 100 MB `docker cp` both ways, a 100 MB
 * `docker build` context upload and `docker logs -f` of a chatty container. Run with
 * `npm run build && npm run bench:gateway` (BENCH_GATEWAY_RUNS: runs per stream measure, default 7);
 * results go to bench/results/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { NODE_SECCOMP_PROFILE, NODE_SECURITY } from '../src/engine/node-security.js';
import { X509Pki } from '../src/pki/x509-pki.js';
import { ApiClient } from '../test/support/api-client.js';
import { extractBundle } from '../test/support/docker-cli.js';
import { endpointOf } from '../test/support/gateway-client.js';
import { TestServer } from '../test/support/server.js';

const PING_ROUNDS = 20;
const PING_PER_ROUND = 100;
const CLI_RUNS = 30;
const COPY_RUNS = Number(process.env.BENCH_GATEWAY_RUNS ?? 7);
const COPY_MB = 100;
/** Lines the chatty container logs (78 bytes each, 86 with the stream frame header) before `docker logs -f` reads them all back. */
const LOG_LINES = 200_000;

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

/** CPU time (user + system, ms) the process `pid` has used so far. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) "; clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The process listening on `port` (the control plane, for the gateway's port). */
function listenerPid(port: number): number {
  const line = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const pid = Number(/pid=(\d+)/.exec(line)?.[1]);
  if (!Number.isInteger(pid)) throw new Error(`no process found listening on port ${port}`);
  return pid;
}

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const HOST_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

/**
 * The previous design, for reference: a node whose own dockerd serves TLS on a published port
 * (what bundles pointed at before the gateway). Returns its client environment and a cleanup.
 */
async function startTlsNode(dir: string, image: string, port: number, stops: Array<() => void>): Promise<NodeJS.ProcessEnv> {
  const pki = await new X509Pki().createClusterPki({ clusterId: 'bench', clusterName: 'bench', accountName: 'bench', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  mkdirSync(dir, { recursive: true });
  const files = { 'ca.pem': pki.caCert, 'server-cert.pem': pki.serverCert, 'server-key.pem': pki.serverKey, 'cert.pem': pki.clientCert, 'key.pem': pki.clientKey, 'seccomp.json': NODE_SECCOMP_PROFILE };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
  const name = `carina-bench-tls-${process.pid}`;
  stops.push(() => spawnSync('bash', ['-c', `docker rm -f -v ${name}; docker volume rm ${name}`], { env: HOST_ENV, stdio: 'ignore' }));
  const caps = [...NODE_SECURITY.CapAdd.flatMap((c) => ['--cap-add', c])];
  execFileSync('docker', ['run', '-d', '--name', name, '--label', 'carina.test=bench', '--cap-drop', 'ALL', ...caps, '--security-opt', `seccomp=${join(dir, 'seccomp.json')}`,
    '--security-opt', 'apparmor=unconfined', '--cgroupns', 'private', '-v', `${name}:/var/lib/docker`, '-v', `${dir}:/tls:ro`, '-p', `127.0.0.1:${port}:2376`, image,
    '--host', 'tcp://0.0.0.0:2376', '--tlsverify', '--tlscacert=/tls/ca.pem', '--tlscert=/tls/server-cert.pem', '--tlskey=/tls/server-key.pem'], { env: HOST_ENV, stdio: 'ignore' });
  const env = { ...HOST_ENV, HOME: dir, DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir };
  for (let i = 0; i < 100 && spawnSync('docker', ['version'], { env, stdio: 'ignore' }).status !== 0; i++) await new Promise((r) => setTimeout(r, 200));
  execFileSync('bash', ['-c', 'env -u DOCKER_HOST -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH docker save carina/busybox:latest | docker load -q'], { env });
  return env;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  const server = new TestServer('bench');
  const stops: Array<() => void> = [];
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

    console.log('previous design (dockerd TLS in the node) for reference …');
    const nodeImage = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'carina/node'], { env: HOST_ENV, encoding: 'utf8' }).split('\n')[0] ?? '';
    const tlsEnv = await startTlsNode(join(bundle, 'tls-node'), nodeImage, await freePort(), stops);
    const psCliTls = stats(Array.from({ length: CLI_RUNS }, () => timed('docker ps -q', tlsEnv)));

    console.log(`docker cp of ${COPY_MB} MB …`);
    const blob = join(bundle, 'blob.bin');
    writeFileSync(blob, execFileSync('head', ['-c', String(COPY_MB * 1024 * 1024), '/dev/urandom'], { maxBuffer: 200 * 1024 * 1024 }));
    execFileSync('docker', ['run', '-d', '--name', 'cp', 'carina/busybox', 'sleep', '3600'], { env: directEnv, stdio: 'ignore' });
    execFileSync('docker', ['cp', blob, 'cp:/blob.bin'], { env: directEnv });
    execFileSync('docker', ['run', '-d', '--name', 'cp', 'carina/busybox', 'sleep', '3600'], { env: tlsEnv, stdio: 'ignore' });
    execFileSync('docker', ['cp', blob, 'cp:/blob.bin'], { env: tlsEnv });
    // What the gateway itself spends per run (the whole control plane, mostly idle otherwise): steadier than wall times on a shared machine.
    const controlPlane = listenerPid(port);
    const mbps = (mb: number, ms: number) => Math.round((mb / (ms / 1000)) * 10) / 10;
    const ratio = (base: number, gw: number) => Math.round((base / gw) * 1000) / 1000;
    /** Runs `cmd` on the three paths in turn, `COPY_RUNS` times, so each round sees the same machine state. */
    const streamed = (cmd: string, mb: number, extra: NodeJS.ProcessEnv = {}) => {
      const d: number[] = [];
      const g: number[] = [];
      const t: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < COPY_RUNS; i++) {
        d.push(timed(cmd, { ...directEnv, ...extra }));
        const before = cpuMs(controlPlane);
        g.push(timed(cmd, { ...gatewayEnv, ...extra }));
        cpu.push(cpuMs(controlPlane) - before);
        t.push(timed(cmd, { ...tlsEnv, ...extra }));
      }
      const [ds, gs, ts] = [stats(d), stats(g), stats(t)];
      return {
        directMs: ds,
        gatewayMs: gs,
        dockerdTlsMs: ts,
        directMBps: mbps(mb, ds.p50),
        gatewayMBps: mbps(mb, gs.p50),
        dockerdTlsMBps: mbps(mb, ts.p50),
        ratioToDirect: ratio(ds.p50, gs.p50),
        ratioToDockerdTls: ratio(ts.p50, gs.p50),
        controlPlaneCpuMs: stats(cpu),
      };
    };
    const copyOut = streamed('docker cp cp:/blob.bin - > /dev/null', COPY_MB);
    const copyIn = streamed(`docker cp '${blob}' cp:/blob-in.bin`, COPY_MB);

    console.log(`docker build with a ${COPY_MB} MB context …`);
    // The classic builder (BuildKit sessions are refused by the policy); after the first build the
    // LABEL step is cached, so each run is mostly the context upload (and the engine unpacking it).
    const context = join(bundle, 'context');
    mkdirSync(context, { recursive: true });
    execFileSync('ln', ['-f', blob, join(context, 'blob.bin')]);
    writeFileSync(join(context, 'Dockerfile'), 'FROM carina/busybox\nLABEL carina.bench=gateway\n');
    const classic = { DOCKER_BUILDKIT: '0' };
    const buildCmd = `docker build -q -t bench/context '${context}' > /dev/null`;
    for (const env of [directEnv, tlsEnv]) timed(buildCmd, { ...env, ...classic });
    const buildContext = streamed(buildCmd, COPY_MB, classic);

    console.log(`docker logs -f of a container that logged ${LOG_LINES} lines …`);
    const chatty = ['run', '-d', '--name', 'chatty', 'carina/busybox', 'sh', '-c', `yes 'carina bench log line: the quick brown fox jumps over the lazy dog 0123456789' | head -n ${LOG_LINES}`];
    for (const env of [directEnv, tlsEnv]) {
      execFileSync('docker', chatty, { env, stdio: 'ignore' });
      execFileSync('docker', ['wait', 'chatty'], { env, stdio: 'ignore' });
    }
    const logBytes = execFileSync('bash', ['-c', 'docker logs chatty | wc -c'], { env: directEnv, encoding: 'utf8' });
    const logsFollow = { lines: LOG_LINES, bytes: Number(logBytes.trim()), ...streamed('docker logs -f chatty > /dev/null', Number(logBytes.trim()) / 1024 / 1024) };

    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAtStart, loadAtEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
      runsPerStreamMeasure: COPY_RUNS,
      note: "direct = the manager engine's unix socket on the host (plain HTTP); gateway = mutual TLS to the control plane, policy, audit, then that socket (controlPlaneCpuMs: the control plane's CPU time during each gateway run); dockerdTls = the previous design, the node's own dockerd serving TLS on a published port",
      pingMs: ping,
      containersJsonMs: psApi,
      dockerPsCliMs: { ...psCli, dockerdTls: psCliTls },
      copyOut100MB: copyOut,
      copyIn100MB: copyIn,
      buildContext100MB: buildContext,
      logsFollow,
    };
    const dir = join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `gateway-${results.at.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(dir, 'gateway-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(JSON.stringify(results, null, 2));
  } finally {
    for (const stop of stops) stop();
    await server.cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
