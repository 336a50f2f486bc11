import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NODE_ENGINE_HOST, type NodeEngineMode } from '../config/config.js';
import { launchDockerd, mustSucceed, type HostSetupOptions, type SetupOutcome } from './host-setup.js';
import { ensureUplink } from './node-uplink.js';

/**
 * Carina's node engine: a second dockerd, beside the host's, that runs every node container in a
 * user namespace (`--userns-remap=default`: root in a node is the unprivileged `dockremap` range on
 * the host, 100000 and up). It lives in a network namespace of its own, because two dockerds in one
 * namespace flush each other's iptables chains at start (measured: the first engine's published
 * ports and network isolation rules vanish), and with its own data root, exec root, pidfile and
 * socket it never touches the host engine.
 */
export const NODE_ENGINE = Object.freeze({
  socket: DEFAULT_NODE_ENGINE_HOST,
  netns: 'carina-nodes',
  dataRoot: '/var/lib/carina-nodes',
  execRoot: '/run/carina-nodes/exec',
  pidfile: '/run/carina-nodes/dockerd.pid',
});

/** The node engine's dockerd arguments (no default bridge: nodes use their clusters' networks). */
export function nodeEngineArgs(): string[] {
  const { socket, dataRoot, execRoot, pidfile } = NODE_ENGINE;
  return ['--host', socket, '--data-root', dataRoot, '--exec-root', execRoot, '--pidfile', pidfile, '--userns-remap', 'default', '--bridge', 'none'];
}

/** Inputs of ensureNodeEngine: those of the host engine's set-up, with the node engine's socket. */
export type NodeEngineSetupOptions = Omit<HostSetupOptions, 'dockerHost'> & {
  readonly engineHost: string;
  /** Whether a network namespace of that name exists (default: its bind mount in /run/netns). */
  readonly netnsExists?: (name: string) => boolean;
};

/**
 * Makes sure the node engine answers: reuses a running one, or (root on Debian, the default socket)
 * creates its network namespace and starts it. dockerd makes the `dockremap` user and its
 * /etc/subuid and /etc/subgid ranges itself on first start. Idempotent.
 */
export async function ensureNodeEngine(opts: NodeEngineSetupOptions): Promise<SetupOutcome> {
  const netnsExists = opts.netnsExists ?? ((name: string) => existsSync(`/run/netns/${name}`));
  const ours = opts.engineHost === NODE_ENGINE.socket && opts.isRoot && netnsExists(NODE_ENGINE.netns);
  if (await opts.ping()) {
    if (ours) await ensureUplink(opts.run, NODE_ENGINE.netns); // host rules may have been flushed since it started
    return { kind: 'ready', started: false };
  }
  if (opts.engineHost !== NODE_ENGINE.socket) {
    return {
      kind: 'manual',
      instructions:
        `No node engine answers at CARINA_NODE_ENGINE_HOST=${opts.engineHost}; Carina starts one itself only at ${NODE_ENGINE.socket}.\n` +
        `Start a dockerd with --userns-remap there, unset CARINA_NODE_ENGINE_HOST, or set CARINA_NODE_ENGINE=host.`,
    };
  }
  if (!opts.isDebian || !opts.isRoot) return { kind: 'manual', instructions: manualInstructions(opts.dataDir) };
  if (!(await opts.run.onPath('ip'))) {
    opts.log('installing iproute2 with apt-get (the node engine gets a network namespace of its own)…');
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    await mustSucceed(opts.run, 'apt-get', ['update'], env);
    await mustSucceed(opts.run, 'apt-get', ['install', '-y', 'iproute2'], env);
  }
  // A namespace outlives its processes (it is bound at /run/netns): after a crash it is reused as it is.
  if (!netnsExists(NODE_ENGINE.netns)) {
    await mustSucceed(opts.run, 'ip', ['netns', 'add', NODE_ENGINE.netns], {});
    await mustSucceed(opts.run, 'ip', ['-n', NODE_ENGINE.netns, 'link', 'set', 'lo', 'up'], {});
  }
  await ensureUplink(opts.run, NODE_ENGINE.netns);
  const logFile = join(opts.dataDir, 'node-engine.log');
  opts.log(`starting the node engine (dockerd --userns-remap) at ${NODE_ENGINE.socket} in network namespace ${NODE_ENGINE.netns} (log: ${logFile})…`);
  await launchDockerd(opts, {
    // nsenter switches only the network namespace (`ip netns exec` would also remount /sys and hide the cgroups).
    command: 'nsenter',
    args: [`--net=/run/netns/${NODE_ENGINE.netns}`, 'dockerd', ...nodeEngineArgs()],
    logFile,
    socket: NODE_ENGINE.socket,
    pidfiles: [[NODE_ENGINE.pidfile, 'dockerd'], [join(NODE_ENGINE.execRoot, 'containerd', 'containerd.pid'), 'containerd']],
  });
  return { kind: 'ready', started: true };
}

/** Where this control plane's nodes run, and what to tell the operator about it. */
export interface NodeEngineChoice {
  readonly mode: NodeEngineMode;
  readonly warning?: string;
}

/**
 * Where nodes run, given the configured mode and whether the host engine already holds node
 * containers of this instance (clusters made before the node engine existed). Their swarm state is
 * on host-engine volumes: moving to the node engine would re-create every node empty, so the default
 * keeps them on the host engine and says how to move; an explicit `userns` is refused.
 */
export function chooseNodeEngine(configured: NodeEngineMode, defaulted: boolean, nodesOnHostEngine: number): NodeEngineChoice | { readonly refused: string } {
  if (configured === 'host' || nodesOnHostEngine === 0) return { mode: configured };
  const move = 'delete and re-create those clusters (or set CARINA_NODE_ENGINE=host to keep running them there, without a user namespace)';
  if (!defaulted) return { refused: `CARINA_NODE_ENGINE=userns, but ${nodesOnHostEngine} node container(s) of this control plane run on the host engine: ${move}` };
  return {
    mode: 'host',
    warning: `${nodesOnHostEngine} node container(s) of this control plane run on the host engine, so nodes stay there, WITHOUT a user namespace (root in a node is root on the host); to move to the node engine, ${move.replace(/ \(or set .*\)$/, '')}, then restart with CARINA_NODE_ENGINE=userns`,
  };
}

function manualInstructions(dataDir: string): string {
  return [
    `No node engine answers at ${NODE_ENGINE.socket}, and Carina starts it only as root on Debian.`,
    'As root (with Docker Engine, iproute2 and util-linux installed):',
    `  ip netns add ${NODE_ENGINE.netns} && ip -n ${NODE_ENGINE.netns} link set lo up`,
    '  (and its uplink: a veth pair with a default route and NAT, see src/host/node-uplink.ts)',
    `  mkdir -p ${dataDir} && nsenter --net=/run/netns/${NODE_ENGINE.netns} dockerd ${nodeEngineArgs().join(' ')} >> ${join(dataDir, 'node-engine.log')} 2>&1 &`,
    'then run Carina again (as root: it hands each node its cgroups), or set CARINA_NODE_ENGINE=host to run nodes on the host engine',
    '(without a user namespace: root in a node is then root on the host).',
  ].join('\n');
}
