import { useState } from 'react';
import { ErrorCode } from '../../../src/wire/error-codes';
import { API_PATHS, routePath, type ApiError } from '../api';
import { CopyBlock } from '../components/copy-block';
import { Dialog } from '../components/dialog';
import { AlertLine } from '../components/field';
import { ErrorNotice, Loading, sentence } from '../components/notice';
import { bytes } from '../format';
import { usePortal } from '../portal-context';
import { caHref, registryLines, shortDigest, usedPercent } from '../registry';
import type { RegistryInfo, RegistryTag, RepositoryList } from '../types';
import { usePoll } from '../use-poll';

/** How often the repositories refresh (a push from elsewhere shows up by itself). */
export const REGISTRY_POLL_MS = 15_000;

/** A tag the user asked to delete. */
interface Target {
  readonly repository: string;
  readonly tag: string;
}

/** Every tag of every repository, sorted, one row each; a repository without tags gets a row of its own. */
function rowsOf(list: RepositoryList): { repository: string; tag: RegistryTag | undefined }[] {
  return [...list.repositories]
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((repo): { repository: string; tag: RegistryTag | undefined }[] =>
      repo.tags.length === 0 ? [{ repository: repo.name, tag: undefined }] : [...repo.tags].sort((a, b) => a.name.localeCompare(b.name)).map((tag) => ({ repository: repo.name, tag })),
    );
}

/** Usage against the quota: a meter and the figures. */
function UsageCard({ used, quota }: { readonly used: number; readonly quota: number }) {
  return (
    <section className="card" aria-labelledby="registry-usage-title">
      <h2 id="registry-usage-title">Storage</h2>
      <meter className="usage-meter" min={0} max={Math.max(quota, 1)} low={quota * 0.8} high={quota * 0.95} optimum={0} value={Math.min(used, quota)} aria-label="Registry storage used" />
      <p data-testid="registry-usage">
        {bytes(used)} of {bytes(quota)} used ({usedPercent(used, quota)} %)
      </p>
      <p className="hint">Every distinct layer of your repositories counts once. A deleted tag's storage comes back at the next garbage collection unless another tag uses it.</p>
    </section>
  );
}

/** The Registry page body, from loaded data (testable without a server). */
export function RegistryView({ info, list, onChanged }: { readonly info: RegistryInfo; readonly list: RepositoryList; readonly onChanged: () => void }) {
  const { api, session, flash } = usePortal();
  const [target, setTarget] = useState<Target | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const lines = registryLines(info, session.username);
  const rows = rowsOf(list);
  const close = () => {
    setTarget(null);
    setError(null);
  };
  const remove = async (t: Target) => {
    setBusy(true);
    setError(null);
    try {
      await api.send('DELETE', routePath(API_PATHS.deleteTag, { repository: t.repository, tag: t.tag }));
      setTarget(null);
      flash(`Deleted ${t.repository}:${t.tag}.`);
      onChanged();
    } catch (e) {
      setError(sentence((e as ApiError).message));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Registry</h1>
          <dl className="facts">
            <div>
              <dt>Address</dt>
              <dd>
                <code data-testid="registry-address">{info.address}</code>
              </dd>
            </div>
            <div>
              <dt>Your namespace</dt>
              <dd>
                <code>{info.namespace}/</code>
              </dd>
            </div>
          </dl>
        </div>
      </div>
      <div className="grid">
        <section className="card" aria-labelledby="registry-login-title">
          <h2 id="registry-login-title">Log in and push</h2>
          <p>Log docker in with your username and API key, then push images under your namespace. Every node of your clusters can pull them.</p>
          <CopyBlock label="docker login line" text={lines.login} />
          <p className="hint">
            With the carina CLI, <code>carina registry login</code> does it and also installs the CA. In scripts and CI, keep the key out of the command line:
          </p>
          <CopyBlock label="docker login line for scripts" text={lines.loginStdin} />
          <CopyBlock label="Lines to tag and push an image" text={lines.push} />
        </section>
        <section className="card" aria-labelledby="registry-ca-title">
          <h2 id="registry-ca-title">Trust the registry's CA</h2>
          <p>
            Your docker daemon must trust the CA of the registry's certificate. It reads it from <code>{lines.certsFile}</code> at every pull and push: no restart needed.
          </p>
          <p className="row">
            <a className="button" href={caHref(info.ca_pem)} download="ca.pem">
              Download ca.pem
            </a>
          </p>
          <CopyBlock label="Commands to install the CA (as root, where you saved ca.pem)" text={lines.trust} />
          <p className="hint">Docker Desktop and rootless docker read ~/.docker/certs.d and ~/.config/docker/certs.d instead.</p>
        </section>
        <UsageCard used={list.used_bytes} quota={list.quota_bytes} />
        <section className="card" aria-labelledby="registry-repos-title">
          <h2 id="registry-repos-title">Repositories</h2>
          {rows.length === 0 ? (
            <p className="muted">No images yet: log in and push one (above).</p>
          ) : (
            <div className="table-wrap">
              <table className="table table-stack" aria-label="Repositories and tags">
                <thead>
                  <tr>
                    <th scope="col">Repository</th>
                    <th scope="col">Tag</th>
                    <th scope="col">Digest</th>
                    <th scope="col">Size</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map(({ repository, tag }) => (
                    <tr key={`${repository}:${tag?.name ?? ''}`} data-tag={tag ? `${repository}:${tag.name}` : repository}>
                      <th scope="row" data-label="Repository">
                        {repository}
                      </th>
                      <td data-label="Tag">{tag ? tag.name : <span className="muted">no tags</span>}</td>
                      <td data-label="Digest">{tag ? <code title={tag.digest}>{shortDigest(tag.digest)}</code> : '—'}</td>
                      <td data-label="Size">{tag ? bytes(tag.size_bytes) : '—'}</td>
                      <td data-label="">
                        {tag ? (
                          <button type="button" className="button button-small" onClick={() => setTarget({ repository, tag: tag.name })} aria-label={`Delete ${repository}:${tag.name}…`}>
                            Delete…
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      </div>
      {target ? (
        <Dialog
          title={`Delete ${target.repository}:${target.tag}?`}
          tone="danger"
          onClose={close}
          actions={
            <>
              <button type="button" className="button button-danger" disabled={busy} onClick={() => void remove(target)}>
                {busy ? 'Deleting…' : 'Delete tag'}
              </button>
              <button type="button" className="button" onClick={close} data-autofocus>
                Cancel
              </button>
            </>
          }
        >
          <p>
            <code>
              {info.address}/{target.repository}:{target.tag}
            </code>{' '}
            will no longer pull, on your machine or on your clusters' nodes (running containers keep running). Its storage comes back at the next garbage collection unless
            another tag uses it. It cannot be undone.
          </p>
          <AlertLine message={error} />
        </Dialog>
      ) : null}
    </>
  );
}

/** `/registry`: the account's private registry; refreshed every 15 s and after a delete. */
export function RegistryPage() {
  const { api } = usePortal();
  const polled = usePoll(
    async () => {
      const [info, list] = await Promise.all([api.get<RegistryInfo>(routePath(API_PATHS.registry)), api.get<RepositoryList>(routePath(API_PATHS.repositories))]);
      return { info, list };
    },
    REGISTRY_POLL_MS,
    'registry',
  );
  const code = polled.error?.code;
  const none = code === ErrorCode.REGISTRY_UNAVAILABLE || code === ErrorCode.NOT_FOUND;
  return (
    <main id="main" className="page">
      {none ? (
        <div className="empty">
          <h1>No registry on this server</h1>
          <p>This Carina server runs no private registry: its admin has turned it off or not installed it. Your clusters can still run public images and images built on their nodes.</p>
        </div>
      ) : (
        <>
          {polled.error ? (
            <ErrorNotice title={polled.data ? 'Lost contact with the server — what you see may be out of date.' : 'Your registry could not be loaded.'} error={polled.error} onRetry={polled.refresh} />
          ) : null}
          {polled.data ? <RegistryView info={polled.data.info} list={polled.data.list} onChanged={polled.refresh} /> : polled.error ? null : <Loading>Loading your registry…</Loading>}
        </>
      )}
    </main>
  );
}
