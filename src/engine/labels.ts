/** Labels on every Docker object Carina creates, so `docker ps` shows whose a node is and nothing is orphaned. */
export const LABEL = Object.freeze({
  managed: 'carina.managed',
  instance: 'carina.instance',
  account: 'carina.account',
  clusterId: 'carina.cluster.id',
  cluster: 'carina.cluster',
  nodeIndex: 'carina.node.index',
  role: 'carina.node.role',
});

/** Deterministic names make creation idempotent: the engine refuses a second object with the same name. */
export const names = Object.freeze({
  network: (clusterId: string) => `carina-${clusterId}`,
  container: (clusterId: string, index: number) => `carina-${clusterId}-n${index}`,
  volume: (clusterId: string, index: number) => `carina-${clusterId}-n${index}-docker`,
});

/** The labels of every Docker object of cluster `c` made by the control plane `instance` (plus `extra`). */
export function clusterLabels(instance: string, c: { readonly id: string; readonly name: string; readonly accountName: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.instance]: instance,
    [LABEL.account]: c.accountName,
    [LABEL.clusterId]: c.id,
    [LABEL.cluster]: c.name,
    ...extra,
  };
}
