import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CarinaError, ErrorCode } from '../core/errors.js';
import { FLAVORS } from '../core/flavors.js';
import { allocatableCapacity, hostUsage } from '../core/host-capacity.js';
import type { HostState } from '../core/placement.js';
import type { Store } from '../core/ports.js';
import { hostNameProblem } from '../core/validation.js';
import { hostEngineClient, parseTcpHost } from '../engine/host-client.js';
import { PROBE_TIMEOUT_MS, probeHost } from '../engine/host-probe.js';
import { cpuCount, hostJson, hostTable, memoryGib } from './host-table.js';

type Out = (line: string) => void;
type WithStore = <T>(fn: (store: Store) => Promise<T>) => Promise<T>;

const TLS_FILES = ['ca.pem', 'cert.pem', 'key.pem'] as const;
const GiB = 1024 ** 3;

const positiveNumber = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new CarinaError(ErrorCode.VALIDATION, `${flag} expects a positive number, got "${v}"`);
  return n;
};

/** `tcp://ADDRESS:PORT` written one way (lower-case name, IPv6 in brackets, the port as a plain number), so the same address is not registered twice. */
function canonicalDockerHost(dockerHost: string): string {
  let address: { host: string; port: number };
  try {
    address = parseTcpHost(dockerHost.trim());
  } catch (err) {
    throw new CarinaError(ErrorCode.VALIDATION, `--docker-host ${err instanceof Error ? err.message.replace(/^a Docker host /, '') : String(err)}`);
  }
  const host = address.host.includes(':') ? `[${address.host.toLowerCase()}]` : address.host.toLowerCase();
  return `tcp://${host}:${address.port}`;
}

/** The absolute TLS directory, once ca.pem, cert.pem and key.pem are there and readable. */
async function checkTlsDir(dir: string): Promise<string> {
  const absolute = resolve(dir);
  const isDir = await stat(absolute).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new CarinaError(ErrorCode.VALIDATION, `--tls-dir ${absolute} is not a directory: give the directory holding ca.pem, cert.pem and key.pem of a client of that engine`);
  const missing: string[] = [];
  for (const file of TLS_FILES) {
    await access(join(absolute, file), constants.R_OK).catch(() => missing.push(file));
  }
  if (missing.length > 0) {
    throw new CarinaError(ErrorCode.VALIDATION, `${missing.join(', ')} missing or unreadable in ${absolute}: it must hold ca.pem (the engine's CA), cert.pem and key.pem (a client certificate that CA signed)`);
  }
  return absolute;
}

const notFound = (name: string) => new CarinaError(ErrorCode.NOT_FOUND, `no host named "${name}": see carina-server hosts list`);
const nodesOf = async (store: Store, name: string) => (await store.hosts.placedNodes()).filter((p) => p.host === name).length;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `hosts drain` and `hosts ready`: the state each sets, and the line that says what it means. */
const STATE_COMMANDS: readonly { readonly name: string; readonly state: HostState; readonly description: string; readonly said: (store: Store, host: string) => Promise<string> }[] = [
  {
    name: 'drain',
    state: 'draining',
    description: 'place no new node on a host, and move its nodes to other hosts',
    said: async (store, host) => {
      const nodes = await nodesOf(store, host);
      // The leader's host monitor moves them (src/reconciler/host-monitor.ts); a cluster's node 0 stays.
      const stay = nodes === 0 ? 'it holds no node' : `the control plane moves its ${plural(nodes, 'node')} to other hosts, one per cluster at a time (a cluster's node 0, its only swarm manager, stays)`;
      return `Host ${host} is draining: no new node is placed there; ${stay}.`;
    },
  },
  {
    name: 'ready',
    state: 'ready',
    description: 'let nodes be placed on a host again (after a drain)',
    said: (_, host) => Promise.resolve(`Host ${host} is ready: new nodes may be placed there.`),
  },
];

interface AddOptions {
  readonly dockerHost: string;
  readonly tlsDir: string;
  readonly cpus?: number;
  readonly memoryGib?: number;
  readonly allowRootNodes?: boolean;
}

/** `hosts add`: check the arguments and the store, probe the engine over mutual TLS, then store it. */
async function addHost(store: Store, name: string, opts: AddOptions, out: Out): Promise<void> {
  const problem = hostNameProblem(name);
  if (problem) throw new CarinaError(ErrorCode.VALIDATION, problem);
  const dockerHost = canonicalDockerHost(opts.dockerHost);
  const tlsDir = await checkTlsDir(opts.tlsDir);
  if (await store.hosts.get(name)) throw new CarinaError(ErrorCode.HOST_EXISTS, `a host named "${name}" is already registered: choose another name, or see carina-server hosts list`);
  const same = (await store.hosts.list()).find((h) => h.dockerHost === dockerHost);
  if (same) throw new CarinaError(ErrorCode.HOST_EXISTS, `${dockerHost} is already registered as host "${same.name}": one engine is one host`);

  const probe = await probeHost(await hostEngineClient({ dockerHost, tlsDir }, PROBE_TIMEOUT_MS + 1_000));
  if (!probe.ok) throw new CarinaError(ErrorCode.ENGINE, `the engine at ${dockerHost} does not answer over mutual TLS with ${tlsDir}: ${probe.cause}; nothing was registered`);
  const { facts } = probe;
  // Root in a node is root on the host unless its engine remaps users: that host is a tenant's for the taking (docs/multi-host.md).
  if (facts.remappedRoot === undefined && opts.allowRootNodes !== true) {
    throw new CarinaError(
      ErrorCode.VALIDATION,
      `the engine at ${dockerHost} does not run with --userns-remap, so root in a node there would be root on that host: start its dockerd with --userns-remap=default (docs/multi-host.md), or pass --allow-root-nodes to accept that; nothing was registered`,
    );
  }
  const capacity = allocatableCapacity(facts, { cpus: opts.cpus, memoryBytes: opts.memoryGib === undefined ? undefined : Math.round(opts.memoryGib * GiB) });
  if (!capacity.ok) throw new CarinaError(ErrorCode.VALIDATION, capacity.problem);

  const added = await store.hosts.add({ name, dockerHost, tlsDir, allocatableNanoCpus: capacity.nanoCpus, allocatableMemoryBytes: capacity.memoryBytes });
  if (!added.ok) throw new CarinaError(ErrorCode.HOST_EXISTS, `a host named "${name}" was registered meanwhile: see carina-server hosts list`);
  await store.hosts.markSeen(name);
  const limited = capacity.nanoCpus < facts.cpus * 1e9 || capacity.memoryBytes < facts.memoryBytes;
  const engine = limited ? ` (the engine has ${facts.cpus} CPUs, ${memoryGib(facts.memoryBytes)})` : '';
  const root = facts.remappedRoot === undefined ? 'WARNING: root in its nodes is root on the host (no --userns-remap)' : `root in its nodes is host uid ${facts.remappedRoot.uid}`;
  out(`Added host ${name} at ${dockerHost}: ${cpuCount(capacity.nanoCpus)} CPUs and ${memoryGib(capacity.memoryBytes)} allocatable${engine}, Docker ${facts.version}, ${root}, ready for nodes.`);
}

/** `carina-server hosts …`: the Docker hosts nodes are placed on (issue 13), straight on the store. */
export function registerHostCommands(program: Command, withStore: WithStore, out: Out): void {
  const hosts = program.command('hosts').description('manage the Docker hosts that cluster nodes are placed on');

  hosts
    .command('add <name>')
    .description('register a Docker host after checking that its engine answers over mutual TLS')
    .requiredOption('--docker-host <url>', "the engine's address, tcp://ADDRESS:2376")
    .requiredOption('--tls-dir <dir>', 'directory of ca.pem, cert.pem and key.pem of a client of that engine')
    .option('--cpus <n>', 'CPUs to give nodes (default: all the engine has)', positiveNumber('--cpus'))
    .option('--memory-gib <n>', 'memory to give nodes, in GiB (default: all the engine has)', positiveNumber('--memory-gib'))
    .option('--allow-root-nodes', 'register an engine that does not run with --userns-remap (root in its nodes is root on the host)')
    .action((name: string, opts: AddOptions) => withStore((store) => addHost(store, name, opts, out)));

  hosts
    .command('list')
    .alias('ls')
    .description('list hosts: state, nodes, reserved / allocatable CPU and memory')
    .option('--json', 'one JSON array, raw figures (nanoCPUs, bytes)')
    .action((opts: { json?: boolean }) =>
      withStore(async (store) => {
        const usage = hostUsage(await store.hosts.list(), await store.hosts.placedNodes(), FLAVORS);
        if (opts.json) out(JSON.stringify(usage.map(hostJson), null, 2));
        else for (const line of hostTable(usage)) out(line);
      }),
    );

  for (const c of STATE_COMMANDS) {
    hosts
      .command(`${c.name} <name>`)
      .description(c.description)
      .action((name: string) =>
        withStore(async (store) => {
          if (!(await store.hosts.setState(name, c.state))) throw notFound(name);
          out(await c.said(store, name));
        }),
      );
  }

  hosts
    .command('remove <name>')
    .alias('rm')
    .description('forget a host that holds no node')
    .action((name: string) =>
      withStore(async (store) => {
        const removed = await store.hosts.remove(name);
        if (removed.ok) return out(`Removed host ${name}.`);
        if (removed.reason === 'not-found') throw notFound(name);
        throw new CarinaError(
          ErrorCode.INVALID_STATE,
          `host ${name} still holds ${plural(removed.nodes, 'node')}: it can be removed once none is placed there (drain it so that no new node goes there)`,
        );
      }),
    );
}
