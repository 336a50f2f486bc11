import type { CommandRunner } from './host-setup.js';
import { mustSucceed } from './host-setup.js';

/**
 * The node engine's way out of its network namespace: a veth pair (`carina-nodes` on the host,
 * `uplink` inside) on a link-local /30, a default route through the host, and NAT on the host, so
 * that nodes reach what they reached on the host engine (DNS, registries, the outside world).
 * Without it every name lookup inside a node waits for its resolver's timeout (measured: 20 s,
 * so `docker service create` took 40 s instead of 1).
 */
export const NODE_UPLINK = Object.freeze({
  hostSide: 'carina-nodes',
  nsSide: 'uplink',
  hostAddress: '169.254.213.1',
  nsAddress: '169.254.213.2',
  prefix: 30,
});

/** One iptables rule on the host: table, chain, where it goes (insert first or append) and its match. */
export interface HostRule {
  readonly table: 'filter' | 'nat';
  readonly chain: string;
  readonly position: 'insert' | 'append';
  readonly rule: readonly string[];
}

/**
 * Forwarding for the uplink (the host engine's FORWARD policy is DROP) and NAT of what leaves
 * through it. Each `insert` goes first, so the drops (listed last) end up before the accepts: nodes
 * never reach the host engine's bridges (its containers, or clusters of a control plane in host mode).
 */
export const UPLINK_RULES: readonly HostRule[] = Object.freeze([
  { table: 'filter', chain: 'FORWARD', position: 'insert', rule: ['-i', NODE_UPLINK.hostSide, '-j', 'ACCEPT'] },
  { table: 'filter', chain: 'FORWARD', position: 'insert', rule: ['-o', NODE_UPLINK.hostSide, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'] },
  { table: 'filter', chain: 'FORWARD', position: 'insert', rule: ['-i', NODE_UPLINK.hostSide, '-o', 'docker0', '-j', 'DROP'] },
  { table: 'filter', chain: 'FORWARD', position: 'insert', rule: ['-i', NODE_UPLINK.hostSide, '-o', 'br-+', '-j', 'DROP'] },
  { table: 'nat', chain: 'POSTROUTING', position: 'append', rule: ['-s', `${NODE_UPLINK.nsAddress}/32`, '!', '-o', NODE_UPLINK.hostSide, '-j', 'MASQUERADE'] },
]);

/** Creates the uplink of namespace `netns` if it is missing, and its routes and host rules; idempotent. */
export async function ensureUplink(run: CommandRunner, netns: string): Promise<void> {
  const { hostSide, nsSide, hostAddress, nsAddress, prefix } = NODE_UPLINK;
  const ip = (...args: string[]) => mustSucceed(run, 'ip', args, {});
  if ((await run.run('ip', ['link', 'show', hostSide])).code !== 0) await ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide, 'netns', netns);
  await ip('addr', 'replace', `${hostAddress}/${prefix}`, 'dev', hostSide);
  await ip('link', 'set', hostSide, 'up');
  await ip('-n', netns, 'addr', 'replace', `${nsAddress}/${prefix}`, 'dev', nsSide);
  await ip('-n', netns, 'link', 'set', nsSide, 'up');
  await ip('-n', netns, 'route', 'replace', 'default', 'via', hostAddress);
  for (const r of UPLINK_RULES) {
    if ((await run.run('iptables', ['-t', r.table, '-C', r.chain, ...r.rule])).code === 0) continue;
    await mustSucceed(run, 'iptables', ['-t', r.table, r.position === 'insert' ? '-I' : '-A', r.chain, ...(r.position === 'insert' ? ['1'] : []), ...r.rule], {});
  }
}
