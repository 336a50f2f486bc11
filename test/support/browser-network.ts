import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pidAlive } from './server.js';

const run = promisify(execFile);

/** Network namespaces of test processes, named by their pid so a later run can remove those of dead ones. */
const NETNS_PREFIXES = ['carina-e2e-', 'carina-browser-'] as const;

/**
 * The browser's own network namespace, linked to the machine by one veth pair.
 *
 * Chromium aborts every request in flight with `net::ERR_NETWORK_CHANGED` when an address appears
 * or disappears on the machine — and each cluster the e2e suite creates adds a bridge and veths to
 * the host. (CI saw the credentials download fail that way.) Inside its own namespace the browser
 * sees only `lo` and its end of the pair, so the engine's churn is invisible to it. It reaches the
 * server at `hostAddress`, which the server must listen on.
 *
 * Needs root and iproute2 (CI has both); elsewhere `create` answers undefined and the browser runs
 * in the machine's namespace, exposed to that churn.
 */
export class BrowserNetwork {
  readonly netns = `carina-browser-${process.pid}`;
  readonly hostAddress: string;
  readonly browserAddress: string;
  /** A chromium launcher that enters the namespace first (exec: Playwright's pipes and pid stay chromium's). */
  readonly launcher: string;
  readonly #dir = mkdtempSync(join(tmpdir(), 'carina-browser-net-'));
  readonly #hostIf = `cbr${process.pid}h`;
  readonly #nsIf = `cbr${process.pid}n`;

  private constructor(chromium: string) {
    // A /30 per pid in 10.252.0.0/16 (the node subnets default to 10.213.0.0/16).
    const a = (process.pid >> 6) % 256;
    const b = (process.pid % 64) * 4;
    this.hostAddress = `10.252.${a}.${b + 1}`;
    this.browserAddress = `10.252.${a}.${b + 2}`;
    this.launcher = join(this.#dir, 'chromium');
    writeFileSync(this.launcher, `#!/bin/sh\nexec nsenter --net=/run/netns/${this.netns} ${chromium} "$@"\n`);
    chmodSync(this.launcher, 0o755);
  }

  /** The namespace and its link, or undefined when this machine cannot make them (not root, no iproute2). */
  static async create(chromium: string): Promise<BrowserNetwork | undefined> {
    if (process.getuid?.() !== 0) return undefined;
    if (!(await run('ip', ['-V']).then(() => true, () => false))) return undefined;
    const net = new BrowserNetwork(chromium);
    try {
      await net.#link();
      return net;
    } catch (e) {
      await net.remove();
      throw e;
    }
  }

  async #link(): Promise<void> {
    const inNs = (...args: string[]) => run('ip', ['netns', 'exec', this.netns, 'ip', ...args]);
    await run('ip', ['netns', 'add', this.netns]);
    await inNs('link', 'set', 'lo', 'up');
    await run('ip', ['link', 'add', this.#hostIf, 'type', 'veth', 'peer', 'name', this.#nsIf, 'netns', this.netns]);
    await run('ip', ['addr', 'add', `${this.hostAddress}/30`, 'dev', this.#hostIf]);
    await run('ip', ['link', 'set', this.#hostIf, 'up']);
    await inNs('addr', 'add', `${this.browserAddress}/30`, 'dev', this.#nsIf);
    await inNs('link', 'set', this.#nsIf, 'up');
  }

  /** Deleting the namespace deletes its end of the pair, and with it the host's end. */
  async remove(): Promise<void> {
    await run('ip', ['netns', 'delete', this.netns]).catch(() => undefined);
    await run('ip', ['link', 'delete', this.#hostIf]).catch(() => undefined);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** Removes the network namespaces of test processes that are gone (a killed run leaves them behind). */
export async function purgeStaleNetns(log: (line: string) => void): Promise<void> {
  const listed = await run('ip', ['netns', 'list']).then((r) => r.stdout, () => '');
  for (const line of listed.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const prefix = NETNS_PREFIXES.find((p) => name.startsWith(p));
    const pid = prefix ? Number(name.slice(prefix.length)) : NaN;
    if (!Number.isInteger(pid) || pid <= 0 || pidAlive(pid)) continue;
    await run('ip', ['netns', 'delete', name]).catch(() => undefined);
    log(`removed network namespace ${name} of a test process that is gone`);
  }
}
