/** A hostname (shown by `docker node ls`) built from the cluster name. */
export function nodeHostname(clusterName: string, index: number): string {
  const base = clusterName.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 50).replace(/-+$/, '');
  return `${base || 'node'}-${index}`;
}
