/** The portal's pages. */
export type PortalRoute =
  | { readonly page: 'clusters' }
  | { readonly page: 'new' }
  | { readonly page: 'registry' }
  | { readonly page: 'cluster'; readonly name: string }
  | { readonly page: 'missing'; readonly path: string };

/** The path of the registry's page. */
export const REGISTRY_HREF = '/registry';

/**
 * The portal page of a location path (as the browser shows it, percent-encoded). The portal renders
 * it; the server answers index.html for every page but `missing`, and a JSON 404 for the rest.
 */
export function routeOf(path: string): PortalRoute {
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
