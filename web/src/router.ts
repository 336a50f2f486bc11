import { useEffect, useState } from 'react';

/** The portal's pages. */
export type Route = { readonly page: 'clusters' } | { readonly page: 'new' } | { readonly page: 'registry' } | { readonly page: 'cluster'; readonly name: string } | { readonly page: 'missing'; readonly path: string };

/** The path of the registry's page. */
export const REGISTRY_HREF = '/registry';

/** The route of a location path. */
export function routeOf(path: string): Route {
  if (path === '/' || path === '') return { page: 'clusters' };
  if (path === '/new') return { page: 'new' };
  if (path === REGISTRY_HREF || path === `${REGISTRY_HREF}/`) return { page: 'registry' };
  const m = /^\/clusters\/([^/]+)\/?$/.exec(path);
  if (m?.[1]) {
    try {
      return { page: 'cluster', name: decodeURIComponent(m[1]) };
    } catch {
      return { page: 'missing', path };
    }
  }
  return { page: 'missing', path };
}

/** The path of a cluster's page. */
export const clusterHref = (name: string) => `/clusters/${encodeURIComponent(name)}`;

const EVENT = 'carina:navigate';

/** Goes to `path` without reloading (pushState), like a link. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(EVENT));
}

/** The current location path, following navigate() and the back/forward buttons. */
export function usePath(): string {
  const [path, setPath] = useState(() => window.location.pathname);
  useEffect(() => {
    const update = () => setPath(window.location.pathname);
    window.addEventListener('popstate', update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return path;
}
