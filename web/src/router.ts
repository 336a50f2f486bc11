import { useEffect, useState } from 'react';
import type { PortalRoute } from '../../src/wire/portal-routes';

// Which paths are pages is the contract's (src/wire/portal-routes.ts): the server falls back to the app for those only.
export { REGISTRY_HREF, routeOf } from '../../src/wire/portal-routes';
/** The portal's pages. */
export type Route = PortalRoute;

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
