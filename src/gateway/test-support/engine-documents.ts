import { readFileSync } from 'node:fs';

/** Real inspect documents of engine 20.10 (captured for the oracle's tests), for fake engines in gateway tests. */
const fixtures = JSON.parse(readFileSync(new URL('../../core/policy-oracle.fixtures.json', import.meta.url), 'utf8')) as {
  plainContainer: Record<string, unknown>;
  exec: Record<'plain' | 'privileged', Record<string, unknown>>;
};

/**
 * What a fake engine answers to the inspects the gateway makes after a create and before an exec
 * starts (`GET /containers/{id}/json`, `GET /exec/{id}/json`): a clean container, and an exec that is
 * privileged when its id says so. Undefined for any other path.
 */
export function inspectDocument(method: string, url: string): string | undefined {
  if (method !== 'GET') return undefined;
  const path = url.replace(/^\/v[0-9.]+/, '').split('?')[0] ?? '';
  const container = /^\/containers\/([^/]+)\/json$/.exec(path)?.[1];
  if (container !== undefined) return JSON.stringify({ ...fixtures.plainContainer, Id: container });
  const exec = /^\/exec\/([^/]+)\/json$/.exec(path)?.[1];
  if (exec !== undefined) return JSON.stringify({ ...fixtures.exec[exec.includes('privileged') ? 'privileged' : 'plain'], ID: exec });
  return undefined;
}
