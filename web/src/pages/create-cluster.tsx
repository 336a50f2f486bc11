import { useState, type FormEvent } from 'react';
import { CLUSTER_NAME } from '../../../src/wire/cluster-name';
import { ErrorCode } from '../../../src/wire/error-codes';
import { CREATE_DEFAULTS, NODES } from '../../../src/wire/limits';
import { API_PATHS, listClusters, routePath, type ApiError } from '../api';
import { AlertLine, Field } from '../components/field';
import { Link } from '../components/link';
import { ErrorNotice, Loading, sentence } from '../components/notice';
import { flavorSize } from '../format';
import { usePortal } from '../portal-context';
import { clusterHref, navigate } from '../router';
import type { Cluster, CreateCluster, Flavor, Quotas } from '../types';
import { usePoll } from '../use-poll';
import { createProblems, maxNodes, type CreateProblems } from '../validation';
import { quotaFull } from './clusters-page';

/** What the form sends: the contract's create input, every field filled in. */
export type CreateRequest = Required<CreateCluster>;

export interface CreateFormProps {
  readonly quotas: Quotas;
  readonly flavors: readonly Flavor[];
  readonly existingNames: readonly string[];
  /** Sends the request; a rejected ApiError is shown on the field it concerns. */
  readonly onSubmit: (request: CreateRequest) => Promise<void>;
  readonly onCancel?: () => void;
}

/** Where a server error belongs: a field, or the whole form. */
function placeServerError(error: ApiError, name: string): { field?: keyof CreateProblems; message: string } {
  if (error.code === ErrorCode.CLUSTER_EXISTS) return { field: 'name', message: `You already have a cluster named "${name}". Pick another name.` };
  if (error.code === ErrorCode.VALIDATION && /name/i.test(error.message)) return { field: 'name', message: sentence(error.message) };
  if (error.code === ErrorCode.VALIDATION && /nodes/i.test(error.message)) return { field: 'nodes', message: sentence(error.message) };
  return { message: sentence(error.message) };
}

/** The create form: name checked as the API does (inline), node count bounded by the quota, autoscale, flavor with its size. */
export function CreateForm({ quotas, flavors, existingNames, onSubmit, onCancel }: CreateFormProps) {
  const [name, setName] = useState('');
  const [nodes, setNodes] = useState(String(CREATE_DEFAULTS.nodes));
  const [autoscale, setAutoscale] = useState<boolean>(CREATE_DEFAULTS.autoscale);
  const [flavor, setFlavor] = useState(flavors[0]?.name ?? CREATE_DEFAULTS.flavor);
  const [touched, setTouched] = useState<{ name?: boolean; nodes?: boolean }>({});
  const [server, setServer] = useState<{ field?: keyof CreateProblems; message: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const local = createProblems({ name, nodes }, quotas, existingNames);
  const shown: CreateProblems = {
    ...(touched.name && local.name ? { name: local.name } : {}),
    ...(touched.nodes && local.nodes ? { nodes: local.nodes } : {}),
    ...(server?.field ? { [server.field]: server.message } : {}),
  };
  const full = quotaFull(quotas);
  const max = maxNodes(quotas);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched({ name: true, nodes: true });
    setServer(null);
    if (local.name || local.nodes) {
      document.getElementById(local.name ? 'create-name' : 'create-nodes')?.focus();
      return;
    }
    setBusy(true);
    try {
      await onSubmit({ name: name.trim(), nodes: Number(nodes), autoscale, flavor });
    } catch (err) {
      const placed = placeServerError(err as ApiError, name.trim());
      setServer(placed);
      setBusy(false);
      if (placed.field) document.getElementById(`create-${placed.field}`)?.focus();
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label="Create a cluster">
      {full ? <p className="notice notice-info">{full}</p> : null}
      <Field id="create-name" label="Name" hint={`Starts with a letter; letters, digits, "_", "." and "-"; at most ${CLUSTER_NAME.maxLength} characters.`} error={shown.name}>
        {(control) => (
          <input
            {...control}
            name="name"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={100}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              if (server?.field === 'name') setServer(null);
            }}
            onBlur={() => name !== '' && setTouched((t) => ({ ...t, name: true }))}
          />
        )}
      </Field>

      <Field id="create-nodes" label="Nodes" hint={`1 to ${max} (${quotas.max_nodes_per_cluster <= NODES.max ? 'your quota per cluster' : 'the most a cluster is created with'}). The first node manages the swarm; you can add nodes later.`} error={shown.nodes}>
        {(control) => (
          <input
            {...control}
            name="nodes"
            type="number"
            inputMode="numeric"
            min={1}
            max={max}
            step={1}
            className="input-short"
            value={nodes}
            onChange={(e) => {
              setNodes(e.target.value);
              setTouched((t) => ({ ...t, nodes: true }));
            }}
          />
        )}
      </Field>

      <fieldset className="field">
        <legend>Flavor</legend>
        {flavors.map((f) => (
          <label key={f.name} className="choice">
            <input type="radio" name="flavor" value={f.name} checked={flavor === f.name} onChange={() => setFlavor(f.name)} />
            <span>
              <strong>{f.name}</strong> <span className="muted">— {flavorSize(f)} per node</span>
            </span>
          </label>
        ))}
        <p className="hint">The disk size is not enforced on this platform.</p>
      </fieldset>

      <div className="field">
        <label className="choice">
          <input type="checkbox" name="autoscale" checked={autoscale} onChange={(e) => setAutoscale(e.target.checked)} aria-describedby="create-autoscale-hint" />
          <span>Enable autoscale</span>
        </label>
        <p id="create-autoscale-hint" className="hint">
          Carina adds a node when reserved CPU or memory reaches 80 % of the cluster's capacity, up to your quota. You can change this later.
        </p>
      </div>

      {server && !server.field ? <AlertLine message={server.message} /> : null}

      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || full !== null}>
          {busy ? 'Creating…' : 'Create cluster'}
        </button>
        {onCancel ? (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** `/new`. */
export function CreateClusterPage() {
  const { api, flash } = usePortal();
  const setup = usePoll(
    async () => {
      const [quotas, flavors, list] = await Promise.all([
        api.get<Quotas>(routePath(API_PATHS.quotas)),
        api.get<{ flavors: Flavor[] }>(routePath(API_PATHS.flavors)),
        listClusters(api),
      ]);
      return { quotas, flavors: flavors.flavors, names: list.map((c) => c.name) };
    },
    0,
    'create',
  );
  const create = async (req: CreateRequest) => {
    const cluster = await api.send<Cluster>(API_PATHS.createCluster.method, routePath(API_PATHS.createCluster), req);
    flash(`Cluster "${cluster.name}" requested. Its status below updates by itself.`);
    navigate(clusterHref(cluster.name));
  };
  return (
    <main id="main" className="page page-narrow">
      <p className="crumbs">
        <Link href="/">← Clusters</Link>
      </p>
      <h1>Create a cluster</h1>
      {setup.error ? (
        <ErrorNotice title="The form could not be prepared." error={setup.error} onRetry={setup.refresh} />
      ) : !setup.data ? (
        <Loading>Loading your quota and flavors…</Loading>
      ) : (
        <CreateForm quotas={setup.data.quotas} flavors={setup.data.flavors} existingNames={setup.data.names} onSubmit={create} onCancel={() => navigate('/')} />
      )}
    </main>
  );
}
