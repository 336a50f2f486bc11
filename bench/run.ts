/**
 * Carina's benchmarks: `npm run bench` (full; ~30 min, run it on a quiet machine) or
 * `npm run bench -- --smoke` (CI; about a minute). See BENCHMARKS.md and `--help`.
 *
 * Bounded and tidy by construction: a hard time limit, a host-memory watchdog, Ctrl-C handling,
 * and every object it makes (control planes, node containers, volumes, networks, temp dirs) is
 * registered for clean-up; a run that was killed outright is cleaned up by the next one.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianMirror } from '../src/host/apt-mirror.js';
import { childProcessRunner } from '../src/host/host-setup.js';
import { ensureImages, nodeImageTag } from '../src/engine/node-image.js';
import { remappedRoot } from '../src/engine/cgroup-delegation.js';
import { EventRecorder, hostDocker, nodesDocker, purgeStale } from './docker.js';
import { BenchAborted, Guard, takeLock } from './guard.js';
import { describeMachine } from './machine.js';
import { parseOptions, USAGE, type BenchOptions, type ScenarioName } from './options.js';
import { loadResults, MARKDOWN, ms, timestampId, updateMarkdown, writeResults, type BenchResults } from './report.js';
import { runApi } from './scenarios/api.js';
import { runConcurrency } from './scenarios/concurrency.js';
import { runDensity } from './scenarios/density.js';
import { runFloor } from './scenarios/floor.js';
import { runLifecycle } from './scenarios/lifecycle.js';

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    say(USAGE);
    return 0;
  }
  const opts = options;
  if (process.getuid?.() !== 0) log('warning: not root; the control plane may not be able to start node containers');

  let release: () => void;
  try {
    release = takeLock();
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const guard = new Guard({ timeoutMs: opts.timeoutMs, hardMemFloorBytes: opts.hardMemFloorBytes });
  guard.install();
  const started = new Date();
  const id = timestampId(started);
  const logDir = join(tmpdir(), 'carina-bench-logs', id);
  mkdirSync(logDir, { recursive: true });
  const docker = nodesDocker(); // where nodes run: their events, objects and stats
  const recorder = new EventRecorder();
  const failures: Record<string, string> = {};
  const results: { -readonly [K in ScenarioName]?: BenchResults[K] } = {};
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  let machine: BenchResults['machine'] | undefined;
  let image = nodeImageTag();
  let status: BenchResults['status'] = 'complete';
  let abortReason: string | undefined;

  try {
    await docker.ping();
    await purgeStale(docker, log);
    machine = await describeMachine(docker, version);
    log(`${opts.mode} run ${id}: ${opts.scenarios.join(', ')}; ${opts.runs} run(s) each; time limit ${Math.round(opts.timeoutMs / 60_000)} min; logs in ${logDir}`);
    if (machine.otherContainersRunning > 0 || (machine.loadAverageAtStart[0] ?? 0) > machine.nproc / 2) {
      log(`note: the machine is not quiet (${machine.otherContainersRunning} other containers, load ${machine.loadAverageAtStart[0]}); figures will be noisier`);
    }
    // The node image the platform uses; built here if missing (about a minute, once) so no timing includes it.
    if (!(await docker.getImage(image).inspect().then(() => true, () => false))) {
      log(`node image ${image} missing: copying it from the host engine or building it (once)`);
      const cache = mkdtempSync(join(tmpdir(), `carina-bench-${process.pid}-images-`));
      try {
        const source = remappedRoot((await docker.info()) as { SecurityOptions?: string[]; DockerRootDir?: string }) ? hostDocker() : undefined; // the node engine: copied from the host's
        image = (await ensureImages(docker, { cacheDir: cache, mirror: debianMirror(), run: childProcessRunner().run, log, source })).nodeImage;
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    }
    await recorder.start(docker);

    for (const scenario of opts.scenarios) {
      if (guard.signal.aborted) break;
      log(`--- ${scenario}`);
      try {
        switch (scenario) {
          case 'floor':
            results.floor = await runFloor({ docker, image, runs: opts.runs, guard, log });
            break;
          case 'lifecycle':
            results.lifecycle = await runLifecycle({ docker, guard, engine: recorder, runs: opts.runs, sizes: opts.createSizes, growFrom: opts.growFrom, warmup: opts.mode === 'full', logDir, log });
            break;
          case 'concurrency':
            results.concurrency = await runConcurrency({ docker, guard, runs: opts.runs, ...opts.concurrency, logDir, log });
            break;
          case 'density':
            results.density = await runDensity({ docker, guard, ...opts.density, logDir, log });
            break;
          case 'api':
            results.api = await runApi({ docker, guard, ...opts.api, postgresUrl: process.env.CARINA_BENCH_POSTGRES_URL, runs: opts.runs, logDir, log });
            break;
        }
      } catch (e) {
        if (e instanceof BenchAborted || guard.signal.aborted) break;
        failures[scenario] = e instanceof Error ? e.message : String(e);
        log(`${scenario} failed: ${failures[scenario]}`);
        await guard.cleanupAll(); // its control plane and objects go now, not at the end
      }
    }
  } catch (e) {
    if (!(e instanceof BenchAborted)) {
      failures.setup = e instanceof Error ? e.message : String(e);
      log(`failed: ${failures.setup}`);
    }
  } finally {
    recorder.stop();
    if (guard.signal.aborted) {
      status = 'aborted';
      abortReason = (guard.signal.reason as Error | undefined)?.message;
    } else if (Object.keys(failures).length > 0) {
      status = 'partial';
    }
    log('cleaning up');
    await guard.cleanupAll();
    guard.dispose();
  }

  let exitCode = status === 'complete' ? 0 : status === 'aborted' ? 130 : 1;
  if (machine && Object.keys(results).length > 0) {
    const record: BenchResults = {
      schema: 1,
      id,
      mode: opts.mode,
      command: `npm run bench --${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`.replace(/ --$/, ''),
      status,
      abortReason,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      options: opts,
      machine,
      nodeImage: image,
      failures,
      ...results,
    };
    const file = writeResults(record);
    say(`results: ${file}`);
    if (opts.writeMarkdown) {
      updateMarkdown(loadResults());
      say(`updated: ${MARKDOWN}`);
    }
    summary(record);
  } else {
    say('no results to write');
    if (exitCode === 0) exitCode = 1;
  }
  release();
  return exitCode;
}

function summary(r: BenchResults): void {
  const lines: string[] = [`${r.mode} run ${r.id}: ${r.status}${r.abortReason ? ` (${r.abortReason})` : ''}`];
  if (r.floor?.totalMs) lines.push(`  floor                 ${ms(r.floor.totalMs.median)} (p95 ${ms(r.floor.totalMs.p95)}, n=${r.floor.totalMs.n})`);
  for (const [n, c] of Object.entries(r.lifecycle?.create ?? {})) lines.push(`  create ${n} node(s)      ${ms(c.activeMs?.median)} (p95 ${ms(c.activeMs?.p95)}, n=${c.activeMs?.n ?? 0})`);
  if (r.lifecycle?.grow.growMs) lines.push(`  grow ${r.lifecycle.grow.from} → ${r.lifecycle.grow.from + 1}            ${ms(r.lifecycle.grow.growMs.median)}`);
  for (const [n, d] of Object.entries(r.lifecycle?.delete ?? {})) lines.push(`  delete ${n} node(s)      ${ms(d.deleteMs?.median)}`);
  if (r.concurrency) lines.push(`  ${r.concurrency.clusters}×${r.concurrency.nodes} concurrent    ${ms(r.concurrency.allActiveMs?.median)}, ${r.concurrency.errorCount} errors`);
  if (r.density) lines.push(`  idle node memory      ${((r.density.perNode.workingSet?.median ?? Number.NaN) / 1024 ** 2).toFixed(1)} MiB; ${Math.min(r.density.nodesPer24GiB.byHostDrop, r.density.nodesPer24GiB.byCgroupWorkingSet)} nodes per 24 GiB (extrapolated)`);
  for (const f of r.api?.figures ?? []) lines.push(`  ${f.endpoint.padEnd(24)} @${f.rate}: p50 ${ms(f.p50Ms?.median)}, p99 ${ms(f.p99Ms?.median)}, ${f.achievedRps?.median.toFixed(0)} req/s, ${f.errors} errors`);
  if (r.api?.create) lines.push(`  POST /v1/clusters (standby) @${r.api.create.rate}: p50 ${ms(r.api.create.p50Ms?.median)}, p99 ${ms(r.api.create.p99Ms?.median)}, ${r.api.create.errors} not accepted`);
  if (r.api) lines.push(`  control plane RSS     idle ${((r.api.rss.idle?.median ?? 0) / 1024 ** 2).toFixed(0)} MiB, peak under load ${(r.api.rss.peakUnderLoad / 1024 ** 2).toFixed(0)} MiB`);
  for (const [k, v] of Object.entries(r.failures)) lines.push(`  FAILED ${k}: ${v}`);
  say(lines.join('\n'));
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
