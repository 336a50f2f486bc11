import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, createApi, NETWORK_ERROR, type Api } from './api';
import { Link } from './components/link';
import { Loading } from './components/notice';
import { ClusterPage } from './pages/cluster-page';
import { ClustersPage } from './pages/clusters-page';
import { CreateClusterPage } from './pages/create-cluster';
import { RegistryPage } from './pages/registry-page';
import { SignIn } from './pages/sign-in';
import { PortalContext, type PortalContextValue } from './portal-context';
import { REGISTRY_HREF, routeOf, usePath } from './router';
import type { Session } from './types';

type SessionState = { readonly kind: 'checking' } | { readonly kind: 'out'; readonly notice?: string } | { readonly kind: 'in'; readonly session: Session };

/** The page for the current path. */
function Page({ path }: { readonly path: string }) {
  const route = routeOf(path);
  switch (route.page) {
    case 'clusters':
      return <ClustersPage />;
    case 'new':
      return <CreateClusterPage />;
    case 'registry':
      return <RegistryPage />;
    case 'cluster':
      return <ClusterPage key={route.name} name={route.name} />;
    case 'missing':
      return (
        <main id="main" className="page">
          <div className="empty">
            <h1>Nothing here</h1>
            <p>The portal has no page at {route.path}.</p>
            <Link href="/" className="button button-primary">
              See your clusters
            </Link>
          </div>
        </main>
      );
  }
}

/** The portal: checks the session, then shows sign-in or the signed-in pages. */
export function App({ api: given }: { readonly api?: Api } = {}) {
  const [state, setState] = useState<SessionState>({ kind: 'checking' });
  const [flashState, setFlash] = useState<{ readonly text: string; readonly path?: string } | null>(null);
  const csrf = useRef<string | undefined>(undefined);
  const path = usePath();

  const api = useMemo(
    () =>
      given ??
      createApi({
        csrfToken: () => csrf.current,
        onUnauthorized: () => {
          csrf.current = undefined;
          setState({ kind: 'out', notice: 'Your session has ended (it expired, you signed out elsewhere, or the server restarted). Sign in again to continue.' });
        },
      }),
    [given],
  );

  useEffect(() => {
    api.whoAmI().then(
      (session) => {
        csrf.current = session.csrf_token;
        setState({ kind: 'in', session });
      },
      (e: unknown) =>
        setState(
          e instanceof ApiError && e.code === NETWORK_ERROR
            ? { kind: 'out', notice: 'The Carina server cannot be reached right now. Check that carina-server is running, then sign in.' }
            : { kind: 'out' },
        ),
    );
  }, [api]);

  // A flash message belongs to the page it is first shown on: the next navigation, or 10 s, clears it.
  const flash = useCallback((text: string) => {
    setFlash({ text });
    window.setTimeout(() => setFlash((f) => (f?.text === text ? null : f)), 10_000);
  }, []);
  useEffect(() => {
    setFlash((f) => (f === null ? f : f.path === undefined ? { ...f, path } : f.path === path ? f : null));
  }, [path, flashState]);

  const signOut = async () => {
    try {
      await api.signOut();
    } finally {
      csrf.current = undefined;
      setState({ kind: 'out', notice: 'You have signed out.' });
    }
  };

  useEffect(() => {
    const title = routeOf(path);
    const titles: Partial<Record<typeof title.page, string>> = { new: 'Create a cluster', registry: 'Registry' };
    document.title = state.kind !== 'in' ? 'Sign in · Carina' : `${title.page === 'cluster' ? title.name : (titles[title.page] ?? 'Clusters')} · Carina`;
  }, [path, state.kind]);

  if (state.kind === 'checking') {
    return (
      <main id="main" className="page">
        <Loading>Loading the Carina portal…</Loading>
      </main>
    );
  }
  if (state.kind === 'out') {
    return (
      <SignIn
        api={api}
        notice={state.notice}
        onSignedIn={(session) => {
          csrf.current = session.csrf_token;
          setState({ kind: 'in', session });
        }}
      />
    );
  }

  const value: PortalContextValue = { api, session: state.session, flash };
  return (
    <PortalContext.Provider value={value}>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          <span className="logo" aria-hidden="true" />
          Carina
        </Link>
        <nav aria-label="Main">
          <Link href="/">Clusters</Link>
          <Link href={REGISTRY_HREF}>Registry</Link>
        </nav>
        <div className="user">
          <span className="muted" data-testid="username">
            {state.session.username}
          </span>
          <button type="button" className="button button-small" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      {flashState ? (
        <div className="flash" role="status">
          <span>{flashState.text}</span>
          <button type="button" className="button button-small button-ghost" onClick={() => setFlash(null)} aria-label="Dismiss message">
            ×
          </button>
        </div>
      ) : null}
      <Page path={path} />
    </PortalContext.Provider>
  );
}
