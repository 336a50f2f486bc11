import { useId, useState } from 'react';
import { allows } from '../../../src/wire/cluster-status';
import { API_PATHS, routePath, type ApiError } from '../api';
import { Dialog } from '../components/dialog';
import { AlertLine } from '../components/field';
import { sentence } from '../components/notice';
import { usePortal } from '../portal-context';
import { navigate } from '../router';
import type { Cluster, ClusterStatus, Quotas } from '../types';
import { growProblem } from '../validation';

type Open = 'grow' | 'rebuild' | 'delete' | null;

export interface ClusterActionsProps {
  readonly cluster: Cluster;
  readonly quotas: Quotas | undefined;
  /** Refreshes the page's data after an action. */
  readonly onChanged: () => void;
}

/** Why an action is unavailable in a status (the contract's transitions), or null. */
export function blockedBecause(action: 'grow' | 'rebuild', status: ClusterStatus): string | null {
  if (action === 'grow' && !allows(status, 'grow')) {
    return status === 'error' ? 'Rebuild the cluster first: nodes can be added once it is active again.' : `Nodes can be added again once the cluster is active (it is ${status} now).`;
  }
  if (action === 'rebuild' && !allows(status, 'rebuild')) return `Rebuild is offered when the cluster is active or in error (it is ${status} now).`;
  return null;
}

/** Add nodes (confirmed with the resulting count), autoscale, Rebuild (explained), Delete (type the name). */
export function ClusterActions({ cluster, quotas, onChanged }: ClusterActionsProps) {
  const { api, flash } = usePortal();
  const [open, setOpen] = useState<Open>(null);
  const [by, setBy] = useState('1');
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const byId = useId();
  const confirmId = useId();
  const deleting = cluster.status === 'deleting';

  const run = async (what: () => Promise<unknown>, after?: () => void) => {
    setBusy(true);
    setError(null);
    try {
      await what();
      setOpen(null);
      onChanged();
      after?.();
    } catch (e) {
      setError(sentence((e as ApiError).message));
    } finally {
      setBusy(false);
    }
  };
  const close = () => {
    setOpen(null);
    setError(null);
  };

  const n = Number(by);
  const growBlocked = blockedBecause('grow', cluster.status);
  const growInvalid = growProblem(by, cluster.nodes, quotas);
  const rebuildBlocked = blockedBecause('rebuild', cluster.status);
  const nodeWord = (k: number) => `${k} node${k === 1 ? '' : 's'}`;

  return (
    <section className="card" aria-labelledby="manage-title">
      <h2 id="manage-title">Manage</h2>

      <div className="action">
        <div className="action-text">
          <h3>Add nodes</h3>
          <p className="muted">
            New nodes join the swarm as workers. {quotas ? `Your quota: ${quotas.max_nodes_per_cluster} nodes per cluster.` : ''}
          </p>
        </div>
        <form
          className="action-control"
          onSubmit={(e) => {
            e.preventDefault();
            if (!growInvalid && !growBlocked) setOpen('grow');
          }}
        >
          <label htmlFor={byId}>Nodes to add</label>
          <input
            id={byId}
            type="number"
            min={1}
            step={1}
            inputMode="numeric"
            className="input-short"
            value={by}
            disabled={growBlocked !== null}
            aria-invalid={growInvalid && by !== '' ? true : undefined}
            aria-describedby={`${byId}-why`}
            onChange={(e) => setBy(e.target.value)}
          />
          <button type="submit" className="button" disabled={growBlocked !== null || growInvalid !== null}>
            Add nodes…
          </button>
          <p id={`${byId}-why`} className={growBlocked || growInvalid ? 'field-error' : 'hint'}>
            {growBlocked ?? growInvalid ?? `The cluster will have ${nodeWord(cluster.nodes + n)}.`}
          </p>
        </form>
      </div>

      <div className="action">
        <div className="action-text">
          <h3>Autoscale</h3>
          <p className="muted">When on, Carina adds a node when reserved CPU or memory reaches 80 % of the cluster's capacity, up to your quota.</p>
        </div>
        <div className="action-control">
          <label className="switch">
            <input
              type="checkbox"
              role="switch"
              checked={cluster.autoscale}
              disabled={busy || deleting}
              onChange={(e) => void run(() => api.send('PUT', routePath(API_PATHS.setAutoscale, { name: cluster.name }), { enabled: e.target.checked }))}
            />
            <span className="switch-track" aria-hidden="true" />
            <span>Autoscale is {cluster.autoscale ? 'on' : 'off'}</span>
          </label>
        </div>
      </div>

      <div className="action">
        <div className="action-text">
          <h3>Rebuild</h3>
          <p className="muted">Checks every part of the cluster and repairs what is missing or broken. Your workloads keep running.</p>
        </div>
        <div className="action-control">
          <button type="button" className="button" disabled={rebuildBlocked !== null} onClick={() => setOpen('rebuild')} aria-describedby={rebuildBlocked ? 'rebuild-why' : undefined}>
            Rebuild…
          </button>
          {rebuildBlocked ? (
            <p id="rebuild-why" className="hint">
              {rebuildBlocked}
            </p>
          ) : null}
        </div>
      </div>

      <div className="action action-danger">
        <div className="action-text">
          <h3>Delete</h3>
          <p className="muted">Removes the cluster, its nodes, volumes and network. This cannot be undone.</p>
        </div>
        <div className="action-control">
          <button type="button" className="button button-danger" disabled={deleting} onClick={() => setOpen('delete')}>
            {deleting ? 'Deleting…' : 'Delete cluster…'}
          </button>
        </div>
      </div>

      {open === null ? <AlertLine message={error} /> : null}

      {open === 'grow' ? (
        <Dialog
          title={`Add ${nodeWord(n)} to ${cluster.name}?`}
          onClose={close}
          actions={
            <>
              <button type="button" className="button button-primary" disabled={busy} onClick={() => void run(() => api.send('POST', routePath(API_PATHS.growCluster, { name: cluster.name }), { by: n }))}>
                {busy ? 'Adding…' : `Add ${nodeWord(n)} (${cluster.nodes + n} in total)`}
              </button>
              <button type="button" className="button" onClick={close} data-autofocus>
                Cancel
              </button>
            </>
          }
        >
          <p>
            <strong>{cluster.name}</strong> will go from <strong>{nodeWord(cluster.nodes)}</strong> to <strong>{nodeWord(cluster.nodes + n)}</strong>, each of flavor{' '}
            {cluster.flavor}.
          </p>
          <p>The new nodes join the swarm as workers; running services stay where they are. To remove nodes later, use <code>carina resize</code>.</p>
          <AlertLine message={error} />
        </Dialog>
      ) : null}

      {open === 'rebuild' ? (
        <Dialog
          title={`Rebuild ${cluster.name}?`}
          onClose={close}
          actions={
            <>
              <button type="button" className="button button-primary" disabled={busy} onClick={() => void run(() => api.send('POST', routePath(API_PATHS.rebuildCluster, { name: cluster.name })))}>
                {busy ? 'Starting…' : 'Rebuild'}
              </button>
              <button type="button" className="button" onClick={close} data-autofocus>
                Cancel
              </button>
            </>
          }
        >
          <p>Rebuild re-runs every step that sets this cluster up, and repairs what it finds missing or broken:</p>
          <ul>
            <li>starts node containers that stopped, and re-creates any that are gone;</li>
            <li>waits for each node's Docker engine and puts nodes that left back into the swarm;</li>
            <li>{cluster.status === 'error' ? 'retries the step that failed (see the reason above).' : 'marks the cluster active again once every node is Ready.'}</li>
          </ul>
          <p>
            <strong>Workloads keep running</strong>: nodes, volumes, services and your credentials are kept; nothing is deleted.
          </p>
          <AlertLine message={error} />
        </Dialog>
      ) : null}

      {open === 'delete' ? (
        <Dialog
          title={`Delete ${cluster.name}?`}
          tone="danger"
          onClose={() => {
            close();
            setTyped('');
          }}
          actions={
            <>
              <button
                type="button"
                className="button button-danger"
                disabled={busy || typed !== cluster.name}
                onClick={() =>
                  void run(
                    () => api.send('DELETE', routePath(API_PATHS.deleteCluster, { name: cluster.name })),
                    () => {
                      flash(`Cluster "${cluster.name}" is being deleted.`);
                      navigate('/');
                    },
                  )
                }
              >
                {busy ? 'Deleting…' : 'Delete this cluster'}
              </button>
              <button
                type="button"
                className="button"
                onClick={() => {
                  close();
                  setTyped('');
                }}
              >
                Cancel
              </button>
            </>
          }
        >
          <p>
            This removes every node of <strong>{cluster.name}</strong>, its volumes and its network. Everything running in it and every piece of data stored in it is lost, and its
            credentials stop working. It cannot be undone.
          </p>
          <div className="field">
            <label htmlFor={confirmId}>
              Type <strong>{cluster.name}</strong> to confirm
            </label>
            <input id={confirmId} autoComplete="off" autoCapitalize="none" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} />
          </div>
          <AlertLine message={error} />
        </Dialog>
      ) : null}
    </section>
  );
}
