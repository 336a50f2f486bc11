import type Dockerode from 'dockerode';
import { describeCause, EngineError } from '../core/errors.js';
import { parseTcpHost } from './host-client.js';
import type { HostEngine } from './host-fleet.js';
import { GUARD_CHAINS, GUARD_HOOKS, hostGuardRules, type ControlPlaneReach, type GuardRule, type HostGuardFacts } from './host-guard-rules.js';
import { ensureHostScript, inspectIfExists } from './host-script.js';
import { demux } from './docker-stream.js';

/** The guard's container on each host (one per host, whatever the clusters). */
export const GUARD_NAME = 'carina-host-guard';
/** Which rules and image a guard runs: a guard made for other facts (a host registered since) is replaced. */
const SPEC_LABEL = 'carina.host-guard.spec';
/** How often a guard checks its rules are still there (a dockerd restart or a firewall reload may remove them). */
const CHECK_EVERY_S = 10;
/** What a guard prints once its rules are in place; the control plane waits for it before a node starts there. */
const READY_LINE = 'carina-guard: rules in place';
const READY_TIMEOUT_MS = 15_000;

/** A word for sh: as it is when it holds nothing sh reads specially, else in single quotes. */
const quote = (word: string) => (/^[\w.,:/=+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
const command = (op: string, chain: string, args: readonly string[]) => ['iptables', '-w', op, chain, ...args].map(quote).join(' ');

/**
 * The guard's shell program: install the rules in its own chains, hook them first into INPUT and
 * DOCKER-USER, then check every few seconds and re-install what went missing. It leaves the rules in
 * place when stopped: a host without its guard stays closed rather than open.
 */
export function guardScript(rules: readonly GuardRule[]): string {
  const chains = Object.values(GUARD_CHAINS);
  return [
    "trap 'exit 0' TERM INT",
    `intact() { ${[...rules.map((r) => `${command('-C', r.chain, r.args)} 2>/dev/null`), 'true'].join(' && ')}; }`,
    `install() { ${chains.map((c) => `{ iptables -w -N ${c} 2>/dev/null || true; } && iptables -w -F ${c}`).join(' && ')} && ${rules.map((r) => command('-A', r.chain, r.args)).join(' && ')}; }`,
    `hook() { { iptables -w -N DOCKER-USER 2>/dev/null || true; } && ${GUARD_HOOKS.map((h) => `{ iptables -w -C ${h.from} -j ${h.to} 2>/dev/null || iptables -w -I ${h.from} 1 -j ${h.to}; }`).join(' && ')}; }`,
    'first=1',
    'while :; do',
    // The first pass installs in any case: rules of an earlier guard (other facts) may be there too.
    '  if [ -n "$first" ] || ! intact; then install || exit 1; [ -n "$first" ] || echo "carina-guard: rules were missing, installed again"; fi',
    '  hook || exit 1',
    `  [ -z "$first" ] || echo "${READY_LINE} (${rules.length})"`,
    '  first=',
    `  sleep ${CHECK_EVERY_S} & wait $!`,
    'done',
  ].join('\n');
}

export interface HostGuardOptions {
  /** Every registered host (their addresses are what containers must not reach). */
  readonly list: () => Promise<readonly { readonly dockerHost: string }[]>;
  /** The hosts that answer now (their guards learn of a host registered since they were made). */
  readonly engines: () => Promise<readonly HostEngine[]>;
  /** Subnets only overlays carry (docs/multi-host.md). */
  readonly overlaySubnets: readonly string[];
  /** The control plane's addresses and public ports (host-guard-rules.ts). */
  readonly controlPlane?: ControlPlaneReach | undefined;
  readonly log: (line: string) => void;
}

/**
 * Runs on every host that holds nodes a small guard container (host network, NET_ADMIN only) that keeps
 * the host's containers away from the hosts' engines, swarm ports and published node engines, and
 * from other clusters' overlay addresses (host-guard-rules.ts; docs/multi-host.md).
 */
export class HostGuard {
  readonly #o: HostGuardOptions;
  /** One change at a time: two hosts guarded at once would each replace the other's guard. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: HostGuardOptions) {
    this.#o = Object.freeze({ ...options });
  }

  /** Makes sure `host` runs a guard of `image` for the current fleet (before its first node starts), and brings the others' up to date. */
  ensure(host: HostEngine, image: string): Promise<void> {
    const next = this.#chain.then(async () => {
      const facts: HostGuardFacts = { hostAddresses: (await this.#o.list()).map((h) => parseTcpHost(h.dockerHost).host), overlaySubnets: this.#o.overlaySubnets, controlPlane: this.#o.controlPlane };
      await this.#guard(host, facts, image);
      for (const other of await this.#o.engines()) {
        if (other.name === host.name) continue;
        await this.#guard(other, facts).catch((e: unknown) => this.#o.log(`host ${other.name}: could not update its guard (${describeCause(e)}); it keeps its earlier rules`));
      }
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Replaces the host's guard when it was made for other facts; without an image, only a guard that exists. */
  async #guard(host: HostEngine, facts: HostGuardFacts, image?: string): Promise<void> {
    const operation = `guard host ${host.name}`;
    const current = await inspectIfExists(host.docker, GUARD_NAME).catch((e: unknown) => {
      throw new EngineError(operation, new Error(describeCause(e)));
    });
    const use = image ?? current?.Config.Image;
    if (use === undefined) return;
    try {
      const started = await ensureHostScript(
        host.docker,
        current,
        {
          name: GUARD_NAME,
          specLabel: SPEC_LABEL,
          image: use,
          script: guardScript(hostGuardRules(facts)),
          hostConfig: {
            // The host's own network namespace, whose filter table it changes; nothing else of the host.
            NetworkMode: 'host',
            // On an engine that remaps users, the host's network namespace comes only with the host's user namespace.
            UsernsMode: 'host',
            CapAdd: ['NET_ADMIN'],
            Memory: 64 * 1024 * 1024,
          },
        },
        () => this.#o.log(`host ${host.name}: starting its guard (${facts.hostAddresses.length} host address(es) closed to containers)`),
      );
      if (started !== undefined) await waitReady(host.docker, started);
    } catch (e) {
      throw new EngineError(operation, new Error(describeCause(e)));
    }
  }
}

/** Waits until the guard says its rules are in place; its last lines when it stops or stays silent. */
async function waitReady(docker: Dockerode, id: string): Promise<void> {
  const container = docker.getContainer(id);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const logs = demux(await container.logs({ stdout: true, stderr: true, tail: 20 }));
    if (logs.includes(READY_LINE)) return;
    const running = (await container.inspect()).State.Running;
    if (!running || Date.now() > deadline) {
      throw new Error(`its guard ${running ? 'did not report its rules in place' : 'stopped'} (last output: ${logs.trim().slice(-300) || 'none'})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
