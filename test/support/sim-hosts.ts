import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostDocker, pidAlive } from './server.js';

const run = promisify(execFile);
const SCRIPT = new URL('../../scripts/sim-hosts.sh', import.meta.url).pathname;

/** One simulated host, as `scripts/sim-hosts.sh up|start|list` prints it. */
export interface SimHost {
  readonly name: string;
  readonly dockerHost: string;
  readonly tlsDir: string;
  readonly state?: string | undefined;
}

/** Prefixes of test runs end in the pid of the process that ran them (see purgeStaleSimHosts). */
const TEST_PREFIX = /^e2e-sim-[a-z0-9-]*?(\d+)$/;

/** A fleet of simulated hosts of its own (prefix, state dir, subnet), driven through the script. */
export class SimFleet {
  readonly prefix: string;
  readonly dir: string;
  readonly subnet: string;
  readonly env: NodeJS.ProcessEnv;

  /**
   * `name` and the pid make the prefix unique; the /24 is picked by pid so concurrent runs don't
   * overlap. `fixed` gives a prefix and subnet of the caller's instead (a test that owns them).
   */
  constructor(name: string, pid = process.pid, fixed?: { readonly prefix: string; readonly subnet: string }) {
    this.prefix = fixed?.prefix ?? `e2e-sim-${name}-${pid}`;
    this.dir = join(tmpdir(), `carina-${this.prefix}`);
    this.subnet = fixed?.subnet ?? `10.214.${100 + (pid % 150)}.0/24`;
    // A host that comes back after it was taken out of the hosts' swarm answers only after dockerd's
    // swarm start-up gives up (20 s) and its node containers fail to re-attach to their overlay (20 s
    // more): measured 46 s on an idle machine with one such container, over 60 s during the suite.
    this.env = { CARINA_SIM_WAIT_S: '150', ...process.env, CARINA_SIM_PREFIX: this.prefix, CARINA_SIM_DIR: this.dir, CARINA_SIM_SUBNET: this.subnet };
  }

  /** Runs `scripts/sim-hosts.sh ARGS` (an object last: more environment for it); rejects with its stderr when it fails. */
  async sim(...args: (string | Record<string, string>)[]): Promise<string> {
    const last = args.at(-1);
    const env = typeof last === 'object' ? { ...this.env, ...last } : this.env;
    const words = args.filter((a): a is string => typeof a === 'string');
    try {
      return (await run('bash', [SCRIPT, ...words], { env, timeout: 200_000 })).stdout;
    } catch (e) {
      const { stderr = '', message } = e as { stderr?: string; message: string };
      throw new Error(`sim-hosts.sh ${words.join(' ')} failed: ${stderr.trim() || message}`);
    }
  }

  /** The real docker client against one host, over mutual TLS with the host's TLS_DIR. */
  async docker(host: SimHost, args: string[], timeoutMs = 30_000): Promise<string> {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir, DOCKER_HOST: host.dockerHost, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: host.tlsDir };
    return (await run('docker', args, { env, timeout: timeoutMs })).stdout.trim();
  }
}

/** Parses the script's lines: NAME DOCKER_HOST TLS_DIR [STATE]. */
export function parseHosts(stdout: string): SimHost[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name = '', dockerHost = '', tlsDir = '', state] = line.trim().split(/\s+/);
      return { name, dockerHost, tlsDir, state };
    });
}

/** Removes the simulated hosts of test runs whose process is gone (a run killed before its `down`). */
export async function purgeStaleSimHosts(log: (line: string) => void): Promise<void> {
  const containers = await hostDocker.listContainers({ all: true, filters: { label: ['carina.sim.prefix'] } });
  const networks = await hostDocker.listNetworks({ filters: { label: ['carina.sim.prefix'] } });
  const volumes = (await hostDocker.listVolumes({ filters: { label: ['carina.sim.prefix'] } })).Volumes ?? [];
  const prefixes = new Set([...containers, ...networks, ...volumes].map((o) => o.Labels?.['carina.sim.prefix'] ?? ''));
  for (const prefix of prefixes) {
    const pid = TEST_PREFIX.exec(prefix)?.[1];
    if (pid === undefined || pidAlive(Number(pid))) continue;
    const dir = join(tmpdir(), `carina-${prefix}`);
    await run('bash', [SCRIPT, 'down'], { env: { ...process.env, CARINA_SIM_PREFIX: prefix, CARINA_SIM_DIR: dir } }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    log(`removed the simulated hosts of ${prefix}, left by an interrupted test run`);
  }
}
