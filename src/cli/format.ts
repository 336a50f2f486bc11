import type { ClusterEvent, Flavor, Quotas, ShownCluster, Usage, UsageFigures } from './types.js';

/** Columns aligned with two spaces between them, no trailing blanks, one row per line. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${all.map(line).join('\n')}\n`;
}

/** Carina's cluster columns. */
export const CLUSTER_HEADERS = ['ClusterName', 'Flavor', 'Nodes', 'AutoScale', 'Status'] as const;

/** One cluster as Carina's row: name, flavor, node count, autoscale, status. */
export function clusterRow(c: Pick<ShownCluster, 'name' | 'flavor' | 'nodes' | 'autoscale' | 'status'>): string[] {
  return [c.name, c.flavor, String(c.nodes), String(c.autoscale), c.status];
}

/** The cluster table (`ls`, and the single row after create/get/grow/rm). */
export function clusterTable(clusters: readonly Pick<ShownCluster, 'name' | 'flavor' | 'nodes' | 'autoscale' | 'status'>[]): string {
  return formatTable(CLUSTER_HEADERS, clusters.map(clusterRow));
}

/** `carina quotas`. */
export function quotasTable(q: Quotas): string {
  return formatTable(['MaxClusters', 'MaxNodesPerCluster', 'Clusters'], [[String(q.max_clusters), String(q.max_nodes_per_cluster), String(q.clusters)]]);
}

const MiB = 1024 * 1024;
const mem = (bytes: number | null) => (bytes === null ? '-' : `${Math.round(bytes / MiB)} MiB`);
const cpu = (cpus: number | null) => (cpus === null ? '-' : cpus.toFixed(2));

/** `carina usage`: one row per node and a total; reserved vs used vs capacity. */
export function usageTable(u: Usage): string {
  const row = (label: string, f: UsageFigures) => [
    label,
    `${cpu(f.reserved_cpus)} / ${cpu(f.used_cpus)} / ${cpu(f.capacity_cpus)}`,
    `${mem(f.reserved_memory_bytes)} / ${mem(f.used_memory_bytes)} / ${mem(f.capacity_memory_bytes)}`,
    f.containers === null ? '-' : String(f.containers),
    f.tasks === null ? '-' : String(f.tasks),
  ];
  return formatTable(
    ['Node', 'CPU reserved/used/capacity', 'Memory reserved/used/capacity', 'Containers', 'Tasks'],
    [...u.nodes.map((n) => row(String(n.index), n)), row('total', u.total)],
  );
}

/** `carina flavors`. */
export function flavorsTable(flavors: readonly Flavor[]): string {
  return formatTable(
    ['Name', 'Memory', 'VCPUs', 'Disk'],
    flavors.map((f) => [f.name, f.memory, String(f.vcpus), `${f.disk_gb} GB`]),
  );
}

/** Event lines of `carina events` (no header, so `--follow` can append). */
export function eventLines(events: readonly ClusterEvent[]): string {
  return events.map((e) => `${e.time}  ${e.type.padEnd(10)}  ${e.message}\n`).join('');
}

/** Pretty JSON with a final newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** One compact JSON document per line (for streams such as `events --follow --json`). */
export function toJsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

// --debug output: what must never be printed in clear.

/** The placeholder secrets are replaced with in --debug output. */
export const REDACTED = '[redacted]';

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** Header lines for --debug, with credentials replaced (the scheme is kept: "Basic [redacted]"). */
export function redactHeaders(headers: Iterable<readonly [string, string]>): string[] {
  const lines: string[] = [];
  for (const [name, value] of headers) {
    if (SECRET_HEADERS.has(name.toLowerCase())) {
      const scheme = /^(\w+)\s/.exec(value)?.[1];
      lines.push(`${name}: ${scheme ? `${scheme} ` : ''}${REDACTED}`);
    } else {
      lines.push(`${name}: ${value}`);
    }
  }
  return lines;
}

/** `text` with every secret (and PEM private key block) replaced; secrets shorter than 4 characters are ignored. */
export function redactText(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text.replace(/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, `-----BEGIN $1PRIVATE KEY----- ${REDACTED}`);
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** At most `max` characters of a body for --debug. */
export function truncate(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
