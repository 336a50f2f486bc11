import { bytes, cpus } from '../format';
import type { ClusterNode } from '../types';
import type { NodeUsage } from '../usage';

const DASH = '—';

/** "0.5 / 0.12 of 2" (reserved / used of capacity), with "—" for a missing figure. */
export function pair(reserved: number | undefined, used: number | undefined, fmt: (n: number) => string, capacity?: number): string {
  if (reserved === undefined && used === undefined) return DASH;
  const of = capacity === undefined ? '' : ` of ${fmt(capacity)}`;
  return `${reserved === undefined ? DASH : fmt(reserved)} / ${used === undefined ? DASH : fmt(used)}${of}`;
}

const pct = (part: number | undefined, whole: number | undefined) => (part === undefined || !whole ? undefined : Math.round((part / whole) * 100));

/** "Reserved: 0.5 of 4 CPUs (13 %) and 1 GiB of 8 GiB memory (13 %)", or null without figures. */
export function reservedSummary(total: NodeUsage | undefined): string | null {
  if (!total || (total.cpuReserved === undefined && total.memoryReserved === undefined)) return null;
  const parts: string[] = [];
  if (total.cpuReserved !== undefined) {
    const p = pct(total.cpuReserved, total.cpuCapacity);
    parts.push(`${cpus(total.cpuReserved)}${total.cpuCapacity === undefined ? '' : ` of ${cpus(total.cpuCapacity)}`} CPUs${p === undefined ? '' : ` (${p} %)`}`);
  }
  if (total.memoryReserved !== undefined) {
    const p = pct(total.memoryReserved, total.memoryCapacity);
    parts.push(`${bytes(total.memoryReserved)}${total.memoryCapacity === undefined ? '' : ` of ${bytes(total.memoryCapacity)}`} memory${p === undefined ? '' : ` (${p} %)`}`);
  }
  return `Reserved by services: ${parts.join(' and ')}.`;
}

/** A cluster's nodes, with reserved / used CPU and memory when the server reports them. */
export function NodesTable({ nodes, usage, wanted }: { readonly nodes: readonly ClusterNode[]; readonly usage: ReadonlyMap<number, NodeUsage> | undefined; readonly wanted: number }) {
  if (nodes.length === 0) {
    return <p className="muted">No nodes yet: they appear here as Carina starts them{wanted > 0 ? ` (${wanted} wanted)` : ''}.</p>;
  }
  return (
    <div className="table-wrap">
      <table className="table table-stack" aria-label="Nodes">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Role</th>
            <th scope="col">Address</th>
            <th scope="col">Status</th>
            <th scope="col">
              CPU <span className="muted">reserved / used</span>
            </th>
            <th scope="col">
              Memory <span className="muted">reserved / used</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => {
            const u = usage?.get(n.index);
            return (
              <tr key={n.index} data-node={n.index}>
                <th scope="row" data-label="Node">
                  {n.index}
                </th>
                <td data-label="Role">{n.role}</td>
                <td data-label="Address">{n.address ?? DASH}</td>
                <td data-label="Status">
                  <span className={`node-status node-${n.status}`}>{n.status.charAt(0).toUpperCase() + n.status.slice(1)}</span>
                </td>
                <td data-label="CPU (reserved / used)">{pair(u?.cpuReserved, u?.cpuUsed, cpus, u?.cpuCapacity)}</td>
                <td data-label="Memory (reserved / used)">{pair(u?.memoryReserved, u?.memoryUsed, bytes, u?.memoryCapacity)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
