/**
 * The private registry (issue 14), measured on the real thing: `carina-server up` with its
 * registry (Debian's docker-registry behind Carina's TLS front: token auth, quota accounting), the
 * host's docker daemon as the user's machine, and a 3-node cluster on the same server.
 *
 * 1. Push and pull of a ≈ 200 MiB image (4 layers of random data on carina/busybox) through
 *    Carina's registry and through the same docker-registry binary with no auth and no front (TLS
 *    with a throwaway certificate, on loopback), interleaved in the same run; the registries'
 *    storage is emptied before each push and the local image removed before each pull, so every
 *    push uploads and every pull downloads. Also a raw 200 MiB blob upload and download (Node's
 *    HTTP client, no daemon, no gzip) through both, which shows the front's own cost.
 * 2. From `docker push` done until a 3-replica service of that image runs on 3 distinct nodes
 *    (a fresh ≈ 20 MiB image and tag each time, so every node pulls), and the same for the
 *    workload image every node already has (no pull), interleaved.
 *
 * 3. (`--only populated`) a 20 MiB push into a namespace of 100 repositories × 30 blobs, vs bare.
 *
 * Run as root with `npm run bench:registry` (builds first); options: `--reps N`, `--raw-reps N`,
 * `--deploy-reps N`, `--only raw,pushpull,deploy,populated` (default: all but populated).
 * Results go to bench/results/registry-*.json. Uses ports 18900, 33000–33019, 44500–44501, 44510
 * and the instance label `bench-registry`; removes everything it made, even when it fails.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { X509Pki } from '../src/pki/x509-pki.js';
import { BENCH_SUBNET_POOL } from './server.js';
import { hostDocker, nodesDocker, purgeInstance } from './docker.js';
import { cpusBusy, cpuTimes, describeMachine, processCpuSeconds } from './machine.js';
import { summarize } from './stats.js';

const ROOT = new URL('..', import.meta.url).pathname;
const SERVER = join(ROOT, 'bin/carina-server.js');
const CARINA = join(ROOT, 'bin/carina.js');
const LISTEN = '127.0.0.1:18900';
const INSTANCE = 'bench-registry';
const REGISTRY_PORT = 26899; // below the kernel's ephemeral ports, as every port a bench server takes
const BARE = '127.0.0.1:44510';
const ACCOUNT = 'bench';
const MiB = 2 ** 20;
/** Layers of the big image, MiB each: a few of different sizes, as real images have. */
const BIG_LAYERS_MIB = [100, 50, 30, 20];
const SMALL_MIB = 20;
/** Every node has it (loaded at node start); its own command exits, so the service runs a sleep. */
const PRESENT = 'carina/busybox:latest sleep 600';
const RAW_MIB = 200;

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const REPS = flag('--reps', 7);
const DEPLOY_REPS = flag('--deploy-reps', 7);
const RAW_REPS = flag('--raw-reps', 7);

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
const host = hostDocker();
const nodes = nodesDocker();
const work = mkdtempSync(join(os.tmpdir(), 'carina-bench-registry-'));
const dataDir = join(work, 'data');
const home = join(work, 'home');
const bareStorage = join(work, 'bare-storage');
mkdirSync(home);
const undo: Array<[string, () => unknown]> = [];
let server: ChildProcess | undefined;
let bareProcess: ChildProcess | undefined;

const hostEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };
let cliEnv: NodeJS.ProcessEnv = hostEnv;

/** Load on the machine while the benchmark runs: load averages and CPUs busy, every 5 s. */
const load: Array<{ at: number; load1: number; cpusBusy: number; otherHostContainers: number }> = [];
/** Runs a command; throws with its stderr when it fails. Answers stdout and the wall time. */
function sh(cmd: string, env: NodeJS.ProcessEnv = cliEnv, timeoutMs = 600_000): { out: string; ms: number } {
  const started = process.hrtime.bigint();
  const cpu0 = cpuTimes();
  const r = spawnSync('bash', ['-c', `set -euo pipefail\n${cmd}`], { env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * MiB });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // spawnSync blocks the timer of watchLoad: the load over each command is sampled here.
  if (ms > 1_000) load.push({ at: Date.now(), load1: os.loadavg()[0] ?? 0, cpusBusy: Math.round(cpusBusy(cpu0, cpuTimes()) * 100) / 100, otherHostContainers: Number.NaN });
  if (r.status !== 0) throw new Error(`${cmd.split('\n')[0]}: exit ${r.status ?? r.signal}\n${r.stderr}${r.stdout.slice(-2000)}`);
  return { out: r.stdout, ms };
}

function watchLoad(): NodeJS.Timeout {
  let last = cpuTimes();
  const t = setInterval(() => {
    const now = cpuTimes();
    const busy = cpusBusy(last, now);
    last = now;
    void host.listContainers().then((cs) => load.push({ at: Date.now(), load1: os.loadavg()[0] ?? 0, cpusBusy: Math.round(busy * 100) / 100, otherHostContainers: cs.length }), () => undefined);
  }, 5_000);
  t.unref();
  return t;
}

async function startCarina(): Promise<{ apiKey: string; address: string }> {
  const env = {
    ...process.env,
    CARINA_DATA_DIR: dataDir,
    CARINA_LISTEN: LISTEN,
    CARINA_PORT_RANGE: '26900-26919',
    CARINA_INSTANCE: INSTANCE,
    CARINA_NODE_SUBNET_POOL: BENCH_SUBNET_POOL,
    CARINA_REGISTRY: 'on',
    CARINA_REGISTRY_PORT: String(REGISTRY_PORT),
    CARINA_REGISTRY_GC_INTERVAL_MS: '0',
  };
  mkdirSync(dataDir);
  const out = openSync(join(work, 'server.log'), 'a');
  server = spawn(process.execPath, [SERVER, 'up'], { env, stdio: ['ignore', out, out] });
  closeSync(out);
  const url = `http://${LISTEN}`;
  for (let i = 0; ; i++) {
    if (server.exitCode !== null) throw new Error(`carina-server exited; see ${work}/server.log`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    if (i > 600) throw new Error('carina-server did not answer within 60 s');
    await sleep(100);
  }
  // Nodes need the workload image the control plane saves at start-up.
  const images = join(dataDir, 'images');
  for (let i = 0; !(existsSync(images) && execFileSync('ls', [images], { encoding: 'utf8' }).includes('carina-busybox-')); i++) {
    if (i > 3000) throw new Error('the node images were not ready within 10 min');
    await sleep(200);
  }
  const key = execFileSync(process.execPath, [SERVER, 'accounts', 'create', ACCOUNT], { env, encoding: 'utf8' }).trim().split('\n').pop() ?? '';
  cliEnv = { ...hostEnv, CARINA_ENDPOINT: url, CARINA_USERNAME: ACCOUNT, CARINA_APIKEY: key, CI: 'true' };
  const info = (await (await fetch(`${url}/v1/registry`, { headers: { authorization: `Bearer ${key}` } })).json()) as { address: string };
  // The user's machine: trust the registry's CA (certs.d, as root) and docker login with the API key.
  undo.push([`certs.d/${info.address}`, () => rmSync(`/etc/docker/certs.d/${info.address}`, { recursive: true, force: true })]);
  sh(`node ${CARINA} registry login`);
  return { apiKey: key, address: info.address };
}

/** The same docker-registry binary, no auth, no front: TLS with a throwaway certificate, its own storage. */
async function startBare(): Promise<string> {
  const pki = await new X509Pki().createClusterPki({ clusterId: 'bench', clusterName: 'bench', accountName: 'bench', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const dir = join(work, 'bare');
  mkdirSync(dir);
  writeFileSync(join(dir, 'cert.pem'), pki.serverCert);
  writeFileSync(join(dir, 'key.pem'), pki.serverKey, { mode: 0o600 });
  const q = (v: string) => JSON.stringify(v);
  // What Carina's configuration says (src/host/registry-process.ts), less auth, plus TLS.
  writeFileSync(
    join(dir, 'config.yml'),
    ['version: 0.1', 'log:', '  level: info', '  formatter: text', 'storage:', '  filesystem:', `    rootdirectory: ${q(bareStorage)}`, '  delete:', '    enabled: true',
      'http:', `  addr: ${q(BARE)}`, `  secret: ${q(randomBytes(16).toString('hex'))}`, '  tls:', `    certificate: ${q(join(dir, 'cert.pem'))}`, `    key: ${q(join(dir, 'key.pem'))}`, ''].join('\n'),
  );
  const out = openSync(join(work, 'bare.log'), 'a');
  bareProcess = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', out, out] });
  closeSync(out);
  const certsD = `/etc/docker/certs.d/${BARE}`;
  undo.push([`certs.d/${BARE}`, () => rmSync(certsD, { recursive: true, force: true })]);
  mkdirSync(certsD, { recursive: true });
  writeFileSync(join(certsD, 'ca.crt'), pki.caCert);
  const agent = new https.Agent({ ca: pki.caCert });
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => https.get(`https://${BARE}/v2/`, { agent }, (r) => (r.resume(), resolve(r.statusCode === 200))).on('error', () => resolve(false)));
    if (ok) break;
    if (i > 100) throw new Error(`the bare registry did not answer; see ${work}/bare.log`);
    await sleep(100);
  }
  return pki.caCert;
}

/** A Dockerfile context FROM the workload image with a COPY of fresh random data per layer. */
function context(name: string, base: string, layersMib: number[]): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const lines = [`FROM ${base}`];
  layersMib.forEach((m, i) => {
    writeFileSync(join(dir, `layer${i}.bin`), randomBytes(m * MiB));
    lines.push(`COPY layer${i}.bin /data/layer${i}.bin`);
  });
  lines.push('LABEL carina.bench=1', 'CMD ["sleep", "600"]', '');
  writeFileSync(join(dir, 'Dockerfile'), lines.join('\n'));
  return dir;
}

const emptyStorage = (root: string) => rmSync(join(root, 'docker', 'registry', 'v2'), { recursive: true, force: true });
const storedBytes = (root: string) => Number(sh(`du -sb ${join(root, 'docker/registry/v2/blobs')} 2>/dev/null | cut -f1 || echo 0`).out.trim() || 0);

/** Removes every local image of this benchmark (all its tags) so that a pull downloads every layer. */
function removeLocal(refs: string[]): void {
  for (const ref of refs) spawnSync('docker', ['rmi', '-f', ref], { env: cliEnv, stdio: 'ignore' });
}

/** Compressed sizes of an image's layers, from the bare registry's manifest. */
async function layerSizes(ca: string, repo: string, tag: string): Promise<number[]> {
  const body = await new Promise<string>((resolve, reject) => {
    https
      .get(`https://${BARE}/v2/${repo}/manifests/${tag}`, { ca, headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } }, (r) => {
        let s = '';
        r.on('data', (c: Buffer) => (s += c.toString()));
        r.on('end', () => resolve(s));
      })
      .on('error', reject);
  });
  return ((JSON.parse(body) as { layers: Array<{ size: number }> }).layers ?? []).map((l) => l.size);
}

type Target = 'carina' | 'bare';

/** Push and pull of the big image, interleaved, order alternating per repetition. */
async function pushPull(address: string, base: string, bareCa: string) {
  const ctx = context('big', base, BIG_LAYERS_MIB);
  const src = 'carina-bench-registry/big:src';
  log(`building the ${BIG_LAYERS_MIB.reduce((a, b) => a + b, 0)} MiB image (${BIG_LAYERS_MIB.join(' + ')} MiB layers)`);
  sh(`docker build -q -t ${src} ${ctx}`);
  rmSync(ctx, { recursive: true, force: true });
  const ref = (t: Target, tag: string) => `${t === 'carina' ? address : BARE}/${ACCOUNT}/big:${tag}`;
  const storage = (t: Target) => (t === 'carina' ? join(dataDir, 'registry') : bareStorage);
  const samples: Array<{ rep: number; target: Target; op: 'push' | 'pull'; ms: number; bytes: number; storedBytes?: number; layersDownloaded?: number; frontCpuS?: number }> = [];
  let local = src; // a local reference to the image (after a pull: the pulled one)
  const allRefs = new Set<string>([src]);
  let sizes: number[] = [];
  const serverCpu = () => (server?.pid ? processCpuSeconds(server.pid) : Number.NaN);
  for (let rep = 0; rep < REPS; rep++) {
    const order: Target[] = rep % 2 === 0 ? ['carina', 'bare'] : ['bare', 'carina'];
    const tag = `r${rep}`;
    for (const t of order) {
      emptyStorage(storage(t));
      sh(`docker tag ${local} ${ref(t, tag)}`);
      allRefs.add(ref(t, tag));
      const cpu0 = serverCpu();
      const { ms } = sh(`docker push ${ref(t, tag)} >/dev/null`);
      const cpu = serverCpu() - cpu0;
      if (sizes.length === 0 && t === 'bare') sizes = await layerSizes(bareCa, `${ACCOUNT}/big`, tag);
      const stored = storedBytes(storage(t));
      samples.push({ rep, target: t, op: 'push', ms, bytes: 0, storedBytes: stored, ...(t === 'carina' ? { frontCpuS: cpu } : {}) });
      log(`rep ${rep} push ${t}: ${(ms / 1000).toFixed(2)} s, stored ${(stored / MiB).toFixed(1)} MiB`);
    }
    if (sizes.length === 0) sizes = await layerSizes(bareCa, `${ACCOUNT}/big`, tag);
    for (const t of order) {
      removeLocal([...allRefs]);
      const cpu0 = serverCpu();
      const { out, ms } = sh(`docker pull ${ref(t, tag)}`);
      const cpu = serverCpu() - cpu0;
      const downloaded = (out.match(/Pull complete/g) ?? []).length;
      samples.push({ rep, target: t, op: 'pull', ms, bytes: 0, layersDownloaded: downloaded, ...(t === 'carina' ? { frontCpuS: cpu } : {}) });
      local = ref(t, tag);
      log(`rep ${rep} pull ${t}: ${(ms / 1000).toFixed(2)} s, ${downloaded} layers downloaded`);
    }
  }
  // The push sends every layer (the registry is empty); the pull downloads all but the base's.
  const pushBytes = sizes.reduce((a, b) => a + b, 0);
  const pullBytes = sizes.slice(1).reduce((a, b) => a + b, 0);
  for (const s of samples) s.bytes = s.op === 'push' ? pushBytes : pullBytes;
  removeLocal([...allRefs]);
  emptyStorage(storage('carina'));
  emptyStorage(storage('bare'));
  return { layerBytes: sizes, samples };
}

/** One request through Node's HTTP client; answers status, headers and the bytes of the body. */
function request(url: string, opts: https.RequestOptions, body?: NodeJS.ReadableStream): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, opts, (res) => {
      let bytes = 0;
      let text = '';
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (text.length < 4096) text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, text }));
    });
    req.on('error', reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

/**
 * A raw 200 MiB blob up and down (POST, one streamed PATCH, PUT ?digest; GET), Node's HTTP client,
 * no docker daemon and no gzip: the front's own cost, undiluted.
 */
async function rawBlobs(address: string, apiKey: string, carinaCa: string, bareCa: string) {
  const file = join(work, 'raw.bin');
  writeFileSync(file, randomBytes(RAW_MIB * MiB));
  const digest = `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
  const size = statSync(file).size;
  const basic = Buffer.from(`${ACCOUNT}:${apiKey}`).toString('base64');
  const token = async (repo: string) => {
    const r = await request(`https://${address}/token?service=carina-registry&scope=repository:${repo}:pull,push`, { ca: carinaCa, headers: { authorization: `Basic ${basic}` } });
    return (JSON.parse(r.text) as { token: string }).token;
  };
  const samples: Array<{ rep: number; target: Target; op: 'upload' | 'download'; ms: number; bytes: number }> = [];
  const once = async (t: Target, rep: number) => {
    const base = t === 'carina' ? address : BARE;
    const ca = t === 'carina' ? carinaCa : bareCa;
    const repo = `${ACCOUNT}/raw`;
    emptyStorage(t === 'carina' ? join(dataDir, 'registry') : bareStorage);
    // A new connection per request, as the daemon's; the token is not timed (the daemon gets one per push, also small).
    const auth: Record<string, string> = t === 'carina' ? { authorization: `Bearer ${await token(repo)}` } : {};
    const started = process.hrtime.bigint();
    const post = await request(`https://${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', ca, headers: { ...auth, 'content-length': '0' } });
    if (post.status !== 202) throw new Error(`POST upload: ${post.status} ${post.text}`);
    const at = new URL(String(post.headers.location), `https://${base}`);
    const patch = await request(at.href, { method: 'PATCH', ca, headers: { ...auth, 'content-type': 'application/octet-stream' } }, createReadStream(file, { highWaterMark: 1 * MiB }));
    if (patch.status !== 202) throw new Error(`PATCH: ${patch.status} ${patch.text}`);
    const done = new URL(String(patch.headers.location), `https://${base}`);
    done.searchParams.set('digest', digest);
    const put = await request(done.href, { method: 'PUT', ca, headers: { ...auth, 'content-length': '0' } });
    if (put.status !== 201) throw new Error(`PUT: ${put.status} ${put.text}`);
    const up = Number(process.hrtime.bigint() - started) / 1e6;
    const started2 = process.hrtime.bigint();
    const get = await request(`https://${base}/v2/${repo}/blobs/${digest}`, { ca, headers: auth });
    const down = Number(process.hrtime.bigint() - started2) / 1e6;
    if (get.status !== 200 || get.bytes !== size) throw new Error(`GET blob: ${get.status}, ${get.bytes} bytes`);
    samples.push({ rep, target: t, op: 'upload', ms: up, bytes: size }, { rep, target: t, op: 'download', ms: down, bytes: size });
    log(`raw rep ${rep} ${t}: up ${(size / MiB / (up / 1000)).toFixed(0)} MiB/s, down ${(size / MiB / (down / 1000)).toFixed(0)} MiB/s`);
  };
  for (let rep = 0; rep < RAW_REPS; rep++) for (const t of (rep % 2 === 0 ? ['carina', 'bare'] : ['bare', 'carina']) as Target[]) await once(t, rep);
  rmSync(file, { force: true });
  emptyStorage(join(dataDir, 'registry'));
  emptyStorage(bareStorage);
  return { blobBytes: size, samples };
}

/**
 * A push of a fresh 20 MiB image into a namespace that already holds 100 repositories of 30 blobs
 * each (links and 1-byte blobs written into Carina's storage as Distribution lays them out, so the
 * quota's usage read walks them all), vs the same push to the bare registry, interleaved.
 */
function populated(address: string, base: string) {
  const v2 = join(dataDir, 'registry', 'docker', 'registry', 'v2');
  const [repos, blobs] = [100, 30];
  for (let r = 0; r < repos; r++) {
    for (let b = 0; b < blobs; b++) {
      const hex = createHash('sha256').update(`filler-${r}-${b}`).digest('hex');
      const blob = join(v2, 'blobs', 'sha256', hex.slice(0, 2), hex);
      mkdirSync(blob, { recursive: true });
      writeFileSync(join(blob, 'data'), 'x');
      const link = join(v2, 'repositories', ACCOUNT, `filler${r}`, b < blobs - 2 ? '_layers' : '_manifests/revisions', 'sha256', hex);
      mkdirSync(link, { recursive: true });
      writeFileSync(join(link, 'link'), `sha256:${hex}`);
    }
  }
  const samples: Array<{ rep: number; target: Target; ms: number }> = [];
  for (let rep = 0; rep < REPS; rep++) {
    const ctx = context(`pop${rep}`, base, [SMALL_MIB]);
    const src = `carina-bench-registry/pop:${rep}`;
    sh(`docker build -q -t ${src} ${ctx} >/dev/null`);
    rmSync(ctx, { recursive: true, force: true });
    for (const t of (rep % 2 === 0 ? ['carina', 'bare'] : ['bare', 'carina']) as Target[]) {
      const ref = `${t === 'carina' ? address : BARE}/${ACCOUNT}/pop:${rep}`;
      sh(`docker tag ${src} ${ref}`);
      const { ms } = sh(`docker push ${ref} >/dev/null`);
      samples.push({ rep, target: t, ms });
      log(`populated rep ${rep} push ${t}: ${(ms / 1000).toFixed(2)} s`);
      removeLocal([ref]);
    }
    removeLocal([src]);
  }
  emptyStorage(join(dataDir, 'registry'));
  emptyStorage(bareStorage);
  const of = (t: Target) => summary(samples.filter((s) => s.target === t).map((s) => s.ms / 1000));
  const c = of('carina');
  const b = of('bare');
  return { fillerRepositories: repos, fillerBlobsEach: blobs, imageMiB: SMALL_MIB, samples, carinaS: c, bareS: b, ratioBareToCarina: c && b ? Math.round((b.median / c.median) * 1000) / 1000 : undefined };
}

/** A poll that a reset connection (the gateway closing an idle keep-alive socket) does not end: tried up to 5 times. */
async function retried<T>(call: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await call();
    } catch (e) {
      if (i >= 4 || !/ECONNRESET|socket hang up|EPIPE/.test(String((e as { code?: string }).code ?? e))) throw e;
      await sleep(100);
    }
  }
}

/** Push done → a 3-replica service Running on 3 distinct nodes; and the same with an image every node has. */
async function deploy(address: string, base: string) {
  log('creating a 3-node cluster');
  sh(`node ${CARINA} create reg --nodes 3 --wait >/dev/null`, cliEnv, 600_000);
  const env = sh(`eval "$(node ${CARINA} env reg --shell bash)" >/dev/null; echo "$DOCKER_HOST"; echo "$DOCKER_CERT_PATH"`).out.trim().split('\n');
  const [dockerHost = '', certPath = ''] = env;
  const clusterEnv = { ...cliEnv, DOCKER_HOST: dockerHost, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath };
  const u = new URL(dockerHost.replace(/^tcp:/, 'https:'));
  const api = new Dockerode({ host: u.hostname, port: Number(u.port), protocol: 'https', ca: readFileSync(join(certPath, 'ca.pem')), cert: readFileSync(join(certPath, 'cert.pem')), key: readFileSync(join(certPath, 'key.pem')) });
  const samples: Array<{ rep: number; kind: 'pull' | 'present'; image: string; pushMs?: number; createMs: number; runningMs: number; nodes: number; failedTasks: number }> = [];
  const runOnce = async (rep: number, kind: 'pull' | 'present', image: string, pushMs?: number) => {
    const name = `${kind}${rep}`;
    const started = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - started) / 1e6;
    sh(`docker service create -d -q --name ${name} --replicas 3 --endpoint-mode dnsrr ${image} >/dev/null`, clusterEnv);
    const createMs = since();
    let failed = new Set<string>();
    for (;;) {
      const tasks = (await retried(() => api.listTasks({ filters: { service: [name] } }))) as Array<{ ID: string; NodeID?: string; DesiredState?: string; Status?: { State?: string } }>;
      for (const t of tasks) if (['failed', 'rejected'].includes(t.Status?.State ?? '')) failed = new Set([...failed, t.ID]);
      const running = tasks.filter((t) => t.Status?.State === 'running' && t.DesiredState === 'running');
      if (running.length === 3 && new Set(running.map((t) => t.NodeID)).size === 3) break;
      if (since() > 180_000) throw new Error(`${name}: not running on 3 nodes after 3 min (${failed.size} tasks failed)`);
      await sleep(50);
    }
    const runningMs = since();
    samples.push({ rep, kind, image, ...(pushMs !== undefined ? { pushMs } : {}), createMs, runningMs, nodes: 3, failedTasks: failed.size });
    log(`deploy rep ${rep} ${kind}: service create ${(createMs / 1000).toFixed(2)} s, running on 3 nodes ${(runningMs / 1000).toFixed(2)} s`);
    sh(`docker service rm ${name} >/dev/null`, clusterEnv);
    for (let i = 0; i < 600 && (await retried(() => api.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${name}`] } }))).length > 0; i++) await sleep(100);
  };
  // Warm-up (not timed): the cluster's first service (overlay-less: dnsrr, no ingress), on the workload image.
  await runOnce(-1, 'present', PRESENT);
  samples.length = 0;
  for (let rep = 0; rep < DEPLOY_REPS; rep++) {
    const ctx = context(`small${rep}`, base, [SMALL_MIB]);
    const image = `${address}/${ACCOUNT}/app:d${rep}`;
    sh(`docker build -q -t ${image} ${ctx} >/dev/null`);
    rmSync(ctx, { recursive: true, force: true });
    const push = sh(`docker push ${image} >/dev/null`);
    const pullFirst = rep % 2 === 0;
    if (!pullFirst) await runOnce(rep, 'present', PRESENT);
    await runOnce(rep, 'pull', image, push.ms);
    if (pullFirst) await runOnce(rep, 'present', PRESENT);
    removeLocal([image]);
  }
  return { smallImageMiB: SMALL_MIB, samples };
}

function summary(values: number[]) {
  const s = summarize(values);
  const r = (x: number) => Math.round(x * 100) / 100;
  return s ? { n: s.n, median: r(s.median), min: r(s.min), max: r(s.max), mean: r(s.mean) } : undefined;
}

async function cleanup(): Promise<void> {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  const registryPid = existsSync(join(dataDir, 'registry.pid')) ? Number(readFileSync(join(dataDir, 'registry.pid'), 'utf8').split('\n')[0]) : 0;
  if (Number.isInteger(registryPid) && registryPid > 0) {
    try {
      process.kill(registryPid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (bareProcess && bareProcess.exitCode === null) bareProcess.kill('SIGKILL');
  for (const docker of [nodes, host]) await purgeInstance(docker, INSTANCE).catch(() => 0);
  const images = (await host.listImages({ filters: { label: ['carina.bench=1'] } }).catch(() => [])) as Array<{ Id: string }>;
  for (const i of images) await host.getImage(i.Id).remove({ force: true }).catch(() => undefined);
  for (const [what, fn] of undo.reverse()) {
    try {
      fn();
    } catch (e) {
      log(`clean-up of ${what}: ${String(e)}`);
    }
  }
  rmSync(work, { recursive: true, force: true });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: the benchmark writes /etc/docker/certs.d and starts nodes');
  const tags = ((await host.listImages({ filters: { reference: ['carina/busybox'] } })) as Array<{ RepoTags?: string[] }>).flatMap((i) => i.RepoTags ?? []);
  const base = tags.find((t) => t.startsWith('carina/busybox:') && !t.endsWith(':latest')) ?? tags[0];
  if (!base) throw new Error('no carina/busybox image on the host engine (npm run bench builds it)');
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const machine = await describeMachine(nodes, version);
  const watcher = watchLoad();
  const started = new Date();
  log(`work dir ${work}; base image ${base}`);
  const { apiKey, address } = await startCarina();
  log(`Carina's registry at ${address}; bare docker-registry at ${BARE}`);
  const bareCa = await startBare();
  const carinaCa = readFileSync(join(dataDir, 'api-ca.pem'), 'utf8');
  const only = new Set((args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '') : 'raw,pushpull,deploy').split(','));
  const phases: { raw?: Awaited<ReturnType<typeof rawBlobs>>; pp?: Awaited<ReturnType<typeof pushPull>>; pop?: ReturnType<typeof populated>; dep?: Awaited<ReturnType<typeof deploy>> } = {};
  const failures: Record<string, string> = {};
  const file = join(import.meta.dirname, 'results', `registry-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  // Written after every phase: a later phase that fails (or Ctrl-C) keeps what was measured.
  const save = (status: 'partial' | 'complete') => {
    const results = summarise(started, status, machine, phases, failures);
    const json = `${JSON.stringify(results, null, 2)}\n`;
    mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
    writeFileSync(file, json);
    if (status === 'complete') writeFileSync(join(import.meta.dirname, 'results', 'registry-latest.json'), json);
    return results;
  };
  const phase = async <K extends keyof typeof phases>(name: string, key: K, run: () => Promise<(typeof phases)[K]> | (typeof phases)[K]) => {
    if (!only.has(name)) return;
    try {
      phases[key] = await run();
    } catch (e) {
      failures[name] = e instanceof Error ? e.message : String(e);
      log(`${name} failed: ${failures[name]}`);
    }
    save('partial');
  };
  await phase('raw', 'raw', () => rawBlobs(address, apiKey, carinaCa, bareCa));
  await phase('pushpull', 'pp', () => pushPull(address, base, bareCa));
  await phase('populated', 'pop', () => populated(address, base));
  await phase('deploy', 'dep', () => deploy(address, base));
  clearInterval(watcher);
  const results = save(Object.keys(failures).length === 0 ? 'complete' : 'partial');
  log(`results: ${file}`);
  // The summaries without the raw samples (those are in the file).
  process.stdout.write(`${JSON.stringify(results, (key, value: unknown) => (key === 'samples' || key === 'machine' ? undefined : value), 2)}\n`);
}

/** The results file: every sample, and medians and ratios per figure. */
function summarise(
  started: Date,
  status: 'partial' | 'complete',
  machine: unknown,
  phases: { raw?: Awaited<ReturnType<typeof rawBlobs>>; pp?: Awaited<ReturnType<typeof pushPull>>; pop?: ReturnType<typeof populated>; dep?: Awaited<ReturnType<typeof deploy>> },
  failures: Record<string, string>,
) {
  const { raw, pp, pop, dep } = phases;
  const mibps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);
  const throughput = <S extends { target: Target; op: string; ms: number; bytes: number }>(samples: S[], op: string) => {
    const of = (t: Target) => summary(samples.filter((s) => s.op === op && s.target === t).map((s) => mibps(s.bytes, s.ms)));
    const c = of('carina');
    const b = of('bare');
    return { carinaMiBps: c, bareMiBps: b, ratio: c && b ? Math.round((c.median / b.median) * 1000) / 1000 : undefined };
  };
  return {
    at: started.toISOString(),
    status,
    durationS: Math.round((Date.now() - started.getTime()) / 1000),
    options: { reps: REPS, rawReps: RAW_REPS, deployReps: DEPLOY_REPS, bigLayersMiB: BIG_LAYERS_MIB, smallMiB: SMALL_MIB, rawMiB: RAW_MIB },
    machine,
    load: { samples: load.length, load1: summary(load.map((l) => l.load1)), cpusBusy: summary(load.map((l) => l.cpusBusy)), hostContainers: summary(load.map((l) => l.otherHostContainers).filter((n) => !Number.isNaN(n))) },
    failures,
    note: "carina = the host daemon → Carina's TLS front (token auth, quota accounting) → docker-registry on loopback; bare = the host daemon → the same docker-registry binary over TLS (throwaway CA in certs.d) on 127.0.0.1, no auth, no front. Interleaved, order alternating per repetition; storage emptied before each push, local image removed before each pull.",
    raw: raw && { ...raw, upload: throughput(raw.samples, 'upload'), download: throughput(raw.samples, 'download') },
    pushPull: pp && {
      ...pp,
      push: throughput(pp.samples, 'push'),
      pull: throughput(pp.samples, 'pull'),
      frontCpuSecondsPerPush: summary(pp.samples.filter((s) => s.op === 'push' && s.frontCpuS !== undefined).map((s) => s.frontCpuS ?? 0)),
      frontCpuSecondsPerPull: summary(pp.samples.filter((s) => s.op === 'pull' && s.frontCpuS !== undefined).map((s) => s.frontCpuS ?? 0)),
    },
    populatedNamespace: pop,
    deploy: dep && {
      ...dep,
      pullRunningS: summary(dep.samples.filter((s) => s.kind === 'pull').map((s) => s.runningMs / 1000)),
      presentRunningS: summary(dep.samples.filter((s) => s.kind === 'present').map((s) => s.runningMs / 1000)),
      pullServiceCreateS: summary(dep.samples.filter((s) => s.kind === 'pull').map((s) => s.createMs / 1000)),
      pushS: summary(dep.samples.filter((s) => s.kind === 'pull').map((s) => (s.pushMs ?? 0) / 1000)),
    },
  };
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}
main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => cleanup().then(() => log('cleaned up')));
