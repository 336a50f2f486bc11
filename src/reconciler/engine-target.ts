import { findFlavor } from '../core/flavors.js';
import type { EngineCluster } from '../core/ports.js';
import type { Cluster } from '../core/types.js';
import type { ReconcilerIo } from './reconciler-io.js';

/**
 * What the engine needs to know of a cluster: its flavor, key material and the hosts its nodes are placed on. A cluster without key
 * material yet (the API issues it at create; a crash in between leaves none) gets it issued here.
 */
export async function engineTarget(io: Pick<ReconcilerIo, 'store' | 'pki' | 'dnsNames' | 'ipAddresses'>, cluster: Cluster): Promise<EngineCluster> {
  const flavor = findFlavor(cluster.flavor);
  if (!flavor) throw new Error(`unknown flavor ${cluster.flavor}`);
  let pki = await io.store.clusters.getPki(cluster.id);
  if (!pki) {
    pki = await io.pki.createClusterPki({
      clusterId: cluster.id,
      clusterName: cluster.name,
      accountName: cluster.accountName,
      dnsNames: io.dnsNames(cluster),
      ipAddresses: io.ipAddresses,
    });
    await io.store.clusters.putPki(cluster.id, pki);
  }
  const placements = await io.store.hosts.placementsOf(cluster.id);
  const hosts = new Map(placements.map((p) => [p.index, p.host]));
  const standIns = placements.filter((p) => p.standIn === true).map((p) => p.index);
  return { id: cluster.id, name: cluster.name, accountName: cluster.accountName, flavor, port: cluster.port, pki, hosts, standIns };
}
