/**
 * Node usage from `GET /v1/clusters/{name}/usage` (added by another change; its exact field names
 * may vary). Read tolerantly: a node is an object with `index`; a figure is a number whose key path
 * names the resource (cpu / memory) and the kind (reserved / used), e.g. `cpu.reserved`,
 * `reserved_cpus`, `memory_used_bytes`, `reserved_nano_cpus`, `usedMemoryBytes`. Anything else renders as "—".
 */
export interface NodeUsage {
  readonly cpuReserved?: number;
  readonly cpuUsed?: number;
  readonly cpuCapacity?: number;
  readonly memoryReserved?: number;
  readonly memoryUsed?: number;
  readonly memoryCapacity?: number;
}

type Figure = keyof NodeUsage;

function flatten(value: unknown, prefix: string, out: Map<string, number>): void {
  if (typeof value === 'number' && Number.isFinite(value)) out.set(prefix, value);
  else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
}

function figureOf(path: string): { figure: Figure; scale: number } | undefined {
  const t = new Set(path.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[._-]+/));
  const kind =
    t.has('reserved') || t.has('reservation') || t.has('reservations')
      ? 'Reserved'
      : t.has('used') || t.has('usage')
        ? 'Used'
        : t.has('capacity') || t.has('limit')
          ? 'Capacity'
          : undefined;
  if (!kind) return undefined;
  if (t.has('cpu') || t.has('cpus') || t.has('nanocpus')) {
    return { figure: `cpu${kind}`, scale: t.has('nano') || t.has('nanocpus') ? 1e-9 : t.has('millicpus') || t.has('milli') ? 1e-3 : 1 };
  }
  if (t.has('memory') || t.has('mem')) return { figure: `memory${kind}`, scale: t.has('mib') ? 1024 ** 2 : t.has('kib') ? 1024 : 1 };
  return undefined;
}

/** The figures of one object (a node, or the cluster's total). */
function figures(item: object): NodeUsage {
  const flat = new Map<string, number>();
  flatten(item, '', flat);
  const usage: { -readonly [K in Figure]?: number } = {};
  for (const [path, value] of flat) {
    const f = figureOf(path);
    if (f && usage[f.figure] === undefined) usage[f.figure] = value * f.scale;
  }
  return usage;
}

/** The cluster's total (`total` or `totals`), if the body has one with any figure. */
export function parseUsageTotal(body: unknown): NodeUsage | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const total = (body as { total?: unknown; totals?: unknown }).total ?? (body as { totals?: unknown }).totals;
  if (!total || typeof total !== 'object') return undefined;
  const usage = figures(total);
  return Object.keys(usage).length > 0 ? usage : undefined;
}

/** Usage by node index; empty when the body has no recognisable nodes. */
export function parseUsage(body: unknown): Map<number, NodeUsage> {
  const result = new Map<number, NodeUsage>();
  const root = body as { nodes?: unknown; node_usage?: unknown } | unknown[] | null;
  const list = Array.isArray(root) ? root : root && typeof root === 'object' ? (root.nodes ?? root.node_usage) : undefined;
  if (!Array.isArray(list)) return result;
  for (const item of list as unknown[]) {
    if (!item || typeof item !== 'object') continue;
    const rec = item as Record<string, unknown>;
    const index = typeof rec.index === 'number' ? rec.index : typeof rec.node_index === 'number' ? rec.node_index : undefined;
    if (index === undefined) continue;
    result.set(index, figures(item));
  }
  return result;
}
