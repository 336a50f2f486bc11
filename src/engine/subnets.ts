/** A cluster's node network: a /26 carved deterministically out of the node subnet pool. */
export interface ClusterSubnet {
  readonly subnet: string;
  readonly gateway: string;
  /**
   * The part of the subnet an overlay network hands out by itself (its load-balancer endpoint on each
   * host that joins it): the top /28, kept clear of the fixed node addresses below it.
   */
  readonly dynamicRange: string;
  /** The fixed address of node `index` (addresses never change, so swarm survives node re-creation). */
  readonly nodeAddress: (index: number) => string;
}

/** How many nodes fit in one cluster subnet (a /26 minus network, gateway, broadcast and spares). */
export const MAX_NODES_PER_SUBNET = 58;
/** How many nodes fit beside an overlay network's own addresses (dynamicRange). */
export const MAX_NODES_ON_OVERLAY = 46;

const toInt = (ip: string): number => ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

/**
 * The subnet of the cluster whose endpoint port is `port`. Ports are unique on a host, and the
 * pool (a /16) holds 1024 /26s, so any 1024 consecutive ports map to distinct subnets.
 */
export function clusterSubnet(pool: string, port: number): ClusterSubnet {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/16$/.exec(pool);
  if (!m?.[1] || m[1].split('.').some((o) => Number(o) > 255)) throw new Error(`node subnet pool must be an IPv4 /16, e.g. 10.213.0.0/16 (got "${pool}")`);
  const base = toInt(m[1]) - (toInt(m[1]) % 65536) + (port % 1024) * 64;
  return {
    subnet: `${toIp(base)}/26`,
    gateway: toIp(base + 1),
    dynamicRange: `${toIp(base + 48)}/28`,
    nodeAddress: (index: number) => {
      if (!Number.isInteger(index) || index < 0 || index >= MAX_NODES_PER_SUBNET) throw new Error(`node index ${index} out of range`);
      return toIp(base + 2 + index);
    },
  };
}
