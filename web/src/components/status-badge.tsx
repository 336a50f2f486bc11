import { CONVERGING_STATUSES } from '../../../src/wire/cluster-status';
import { STATUS_TEXT } from '../format';
import type { ClusterStatus } from '../types';

/** The status as words and colour (never colour alone); busy statuses pulse. */
export function StatusBadge({ status }: { readonly status: ClusterStatus }) {
  const busy = CONVERGING_STATUSES.has(status);
  return (
    <span className={`badge badge-${status}${busy ? ' badge-busy' : ''}`} data-status={status}>
      <span className="badge-dot" aria-hidden="true" />
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}
