import type { Cluster, ClusterStatus, Flavor, Quotas } from './types';

/** "just now", "5 min", "3 h", "2 days" since `iso`. */
export function age(iso: string, now: number = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  const d = Math.floor(s / 86_400);
  return d === 1 ? '1 day' : `${d} days`;
}

/** "2 of 3 clusters". */
export function quotaText(q: Quotas): string {
  return `${q.clusters} of ${q.max_clusters} cluster${q.max_clusters === 1 ? '' : 's'}`;
}

/** "4 GiB memory, 2 vCPU, 20 GB disk". */
export function flavorSize(f: Flavor): string {
  return `${f.memory} memory, ${f.vcpus} vCPU, ${f.disk_gb} GB disk`;
}

/** "1 / 2 Ready" (Ready / wanted). */
export function readyText(c: Pick<Cluster, 'nodes' | 'nodes_ready'>): string {
  return `${c.nodes_ready ?? 0} / ${c.nodes} Ready`;
}

/** What a status means to a person. */
export const STATUS_TEXT: Readonly<Record<ClusterStatus, string>> = Object.freeze({
  new: 'Queued',
  building: 'Building',
  active: 'Active',
  growing: 'Adding nodes',
  shrinking: 'Removing nodes',
  rebuilding: 'Rebuilding',
  deleting: 'Deleting',
  error: 'Error',
});

/** "just now", "5 min ago". */
export function ago(iso: string, now: number = Date.now()): string {
  const a = age(iso, now);
  return a === 'just now' ? a : `${a} ago`;
}

/** "1.5 GiB", "512 MiB". */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : Math.round(v * 10) / 10} ${units[i] ?? 'B'}`;
}

/** "0.5", "2" (CPUs, at most 2 decimals). */
export function cpus(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** A local date-time for a tooltip. */
export function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
