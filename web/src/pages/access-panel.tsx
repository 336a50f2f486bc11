import { useEffect, useRef, useState } from 'react';
import { ErrorCode } from '../../../src/wire/error-codes';
import { API_PATHS, routePath, type ApiError } from '../api';
import { CopyBlock } from '../components/copy-block';
import { AlertLine } from '../components/field';
import { Link } from '../components/link';
import { sentence } from '../components/notice';
import { usePortal } from '../portal-context';
import { registryLines } from '../registry';
import { REGISTRY_HREF } from '../router';
import type { Cluster, RegistryInfo } from '../types';
import { usePoll } from '../use-poll';

/** The exact shell lines that use a cluster's credentials. */
export function accessLines(name: string): { cli: string; manual: string } {
  const q = /^[A-Za-z0-9_.-]+$/.test(name) ? name : `'${name.replace(/'/g, `'\\''`)}'`;
  return {
    cli: `eval "$(carina env ${q})"\ndocker node ls`,
    manual: `unzip ${q}.zip -d ${q}\nsource ${q}/docker.env\ndocker node ls`,
  };
}

/** "Get access": the credentials zip and how to use it. */
export function AccessPanel({ cluster }: { readonly cluster: Cluster }) {
  const { api, session } = usePortal();
  // The account's registry, asked once: any failure (no registry, an older server) leaves it out.
  const registry = usePoll<RegistryInfo | null>(() => api.get<RegistryInfo>(routePath(API_PATHS.registry)).catch(() => null), 0, 'registry-info').data ?? null;
  const [state, setState] = useState<{ kind: 'idle' | 'busy' | 'done' } | { kind: 'error'; message: string }>({ kind: 'idle' });
  const url = useRef<string | null>(null);
  useEffect(() => () => void (url.current && URL.revokeObjectURL(url.current)), []);
  const lines = accessLines(cluster.name);
  const unavailable = cluster.status === 'deleting' ? 'This cluster is being deleted: its credentials are no longer offered.' : null;

  const download = async () => {
    setState({ kind: 'busy' });
    try {
      const blob = await api.download(routePath(API_PATHS.credentials, { name: cluster.name }));
      if (url.current) URL.revokeObjectURL(url.current);
      url.current = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url.current;
      a.download = `${cluster.name}.zip`;
      document.body.append(a);
      a.click();
      a.remove();
      setState({ kind: 'done' });
    } catch (e) {
      const err = e as ApiError;
      setState({
        kind: 'error',
        message: err.code === ErrorCode.CREDENTIALS_NOT_READY ? 'The credentials are not ready yet: try again in a few seconds.' : sentence(err.message),
      });
    }
  };

  return (
    <section className="card" aria-labelledby="access-title">
      <h2 id="access-title">Get access</h2>
      <p>
        The credentials are TLS certificates for this cluster's Docker endpoint (<code>{cluster.endpoint}</code>). Anyone who has them controls the cluster: keep them
        like a password.
      </p>
      {unavailable ? (
        <p className="notice notice-info">{unavailable}</p>
      ) : (
        <p className="row">
          <button type="button" className="button button-primary" onClick={() => void download()} disabled={state.kind === 'busy'}>
            {state.kind === 'busy' ? 'Preparing…' : `Download ${cluster.name}.zip`}
          </button>
          <span role="status" className="muted">
            {state.kind === 'done' ? `Saved ${cluster.name}.zip to your downloads.` : ''}
          </span>
        </p>
      )}
      {state.kind === 'error' ? <AlertLine message={`The download failed: ${state.message}`} /> : null}
      <h3>With the zip, in the folder where you saved it (bash or zsh)</h3>
      <CopyBlock label="Shell lines to use the zip" text={lines.manual} />
      <p className="hint">
        fish: <code>source {cluster.name}/docker.fish</code> · PowerShell: <code>. .\{cluster.name}\docker.ps1</code> · cmd.exe: <code>{cluster.name}\docker.cmd</code>
      </p>
      <h3>Or with the carina CLI (it fetches the credentials itself)</h3>
      <CopyBlock label="Shell lines for the carina CLI" text={lines.cli} />
      {registry ? (
        <>
          <h3>Your private registry</h3>
          <p>
            Push images to <code data-testid="access-registry">{registry.address}</code> under <code>{registry.namespace}/</code>: every node of this cluster pulls them. Log docker in
            with your API key (<Link href={REGISTRY_HREF}>Registry</Link> shows how to trust its CA, your images and your storage):
          </p>
          <CopyBlock label="docker login line for the registry" text={registryLines(registry, session.username).login} />
        </>
      ) : (
        <p className="hint">
          No registry is reachable from the nodes: use the <code>carina/busybox</code> image that every node has, and <code>--endpoint-mode dnsrr</code> for services.
        </p>
      )}
    </section>
  );
}
