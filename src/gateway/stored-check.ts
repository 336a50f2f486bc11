import { matchRoute, routePattern, type DockerRoute } from '../core/docker-routes.js';
import { EngineError } from '../core/errors.js';
import { fieldValues } from '../core/json-fields.js';
import type { Violation } from '../core/policy-codes.js';
import { storedId, storedReferences, storedViolation, type StoredKind, type StoredReference } from '../core/policy-oracle.js';
import type { Endpoint } from './proxy.js';

/** The part of an endpoint the oracle uses: the manager engine's socket. */
export type EngineSocket = Pick<Endpoint, 'engine'>;

/** A violation found in a stored object, with the engine's own id of that object (remove by it: a name can be reused). */
export interface StoredViolation extends Violation {
  readonly id: string;
}

interface StoredRoute extends DockerRoute {
  readonly kind: StoredKind;
  /** The field of the engine's JSON answer naming the new object; without it, the route's reference names it. */
  readonly answerField?: 'id' | 'name';
}

/** The creates and updates whose result is checked, in the engine's own route templates (as the policy's table). */
const ROUTES: readonly StoredRoute[] = [
  { method: 'POST', template: '/containers/create', kind: 'container', answerField: 'id' },
  { method: 'POST', template: '/containers/{name:.*}/update', kind: 'container' },
  // API < 1.24 applies a host config sent to start.
  { method: 'POST', template: '/containers/{name:.*}/start', kind: 'container' },
  { method: 'POST', template: '/containers/{name:.*}/exec', kind: 'exec', answerField: 'id' },
  { method: 'POST', template: '/services/create', kind: 'service', answerField: 'id' },
  { method: 'POST', template: '/services/{id}/update', kind: 'service' },
  { method: 'POST', template: '/volumes/create', kind: 'volume', answerField: 'name' },
  { method: 'POST', template: '/networks/create', kind: 'network', answerField: 'id' },
];
const COMPILED = ROUTES.map((route) => ({ route, pattern: routePattern(route.template) }));
const INSPECT: Readonly<Record<StoredKind, string>> = { container: '/containers/%/json', service: '/services/%', volume: '/volumes/%', network: '/networks/%', exec: '/exec/%/json' };
const REMOVE: Readonly<Record<Exclude<StoredKind, 'exec'>, string>> = { container: '/containers/%?force=1&v=1', service: '/services/%', volume: '/volumes/%?force=1', network: '/networks/%' };
/** An engine that does not answer an inspect within this fails the check (the request is then refused, not forwarded as allowed). */
const ENGINE_TIMEOUT_MS = 10_000;

const routeOf = (method: string, path: string) =>
  COMPILED.map(({ route, pattern }) => ({ route, vars: matchRoute(pattern, method, route, path) })).find((m) => m.vars !== undefined);

/** True when a successful answer to this request must be followed by `checkStored`. */
export function needsStoredCheck(method: string, path: string): boolean {
  return routeOf(method, path) !== undefined;
}

/** Which object a successful create/update made: from the method, canonical path (see canonicalPath in core/policy.ts) and the engine's JSON answer. */
export function storedTarget(method: string, path: string, answer: unknown): { kind: StoredKind; id: string } | undefined {
  const found = routeOf(method, path);
  if (!found) return undefined;
  const field = found.route.answerField;
  const id = field === undefined ? found.vars?.[0] : fieldValues(answer, field).find((v) => typeof v === 'string');
  return typeof id === 'string' && id !== '' ? { kind: found.route.kind, id } : undefined;
}

/** One request to the engine: its status and parsed JSON answer (undefined when there is none). Rejects (EngineError) when the engine cannot be reached. */
function call(ep: EngineSocket, method: string, path: string, operation: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const fail = (e: unknown) => reject(new EngineError(operation, e));
    const req = ep.engine.request({ method, path, headers: { host: 'docker' } });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.setTimeout(ENGINE_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${ENGINE_TIMEOUT_MS} ms`)));
    req.on('error', fail);
    req.end();
  });
}

const at = (template: string, id: string) => template.replace('%', encodeURIComponent(id));

function answered(operation: string, status: number, body: unknown): EngineError {
  const message = fieldValues(body, 'message').find((m) => typeof m === 'string');
  return new EngineError(operation, `the engine answered ${status}${message === undefined ? '' : `: ${String(message)}`}`);
}

/** The engine's inspect document of an object; undefined if there is no such object (404). */
async function inspect(ep: EngineSocket, kind: StoredKind, id: string): Promise<unknown> {
  const operation = `inspect ${kind} ${id}`;
  const { status, body } = await call(ep, 'GET', at(INSPECT[kind], id), operation);
  if (status === 404) return undefined;
  if (status !== 200 || body === undefined) throw answered(operation, status, body);
  return body;
}

/** What a stored document refers to that breaks the policy itself (a reference removed in between is nothing to judge). */
async function offendingReferences(ep: EngineSocket, kind: StoredKind, doc: unknown): Promise<Array<StoredReference & { violation: Violation }>> {
  const refs = storedReferences(kind, doc);
  const docs = await Promise.all(refs.map((ref) => inspect(ep, ref.kind, ref.id)));
  return refs.flatMap((ref, i) => {
    const found = docs[i] === undefined ? undefined : storedViolation(ref.kind, docs[i]);
    return found ? [{ ...ref, violation: found }] : [];
  });
}

/** Inspects what the engine stored; the violation if it breaks the policy, undefined if fine. Rejects when the object cannot be inspected. */
export async function checkStored(ep: EngineSocket, kind: StoredKind, id: string): Promise<StoredViolation | undefined> {
  const doc = await inspect(ep, kind, id);
  if (doc === undefined) throw new EngineError(`inspect ${kind} ${id}`, 'no such object');
  const own = storedId(kind, doc) ?? id;
  const found = storedViolation(kind, doc) ?? (await offendingReferences(ep, kind, doc))[0]?.violation;
  return found ? { ...found, id: own } : undefined;
}

async function remove(ep: EngineSocket, kind: Exclude<StoredKind, 'exec'>, id: string): Promise<void> {
  const operation = `remove ${kind} ${id}`;
  const { status, body } = await call(ep, 'DELETE', at(REMOVE[kind], id), operation);
  if (status >= 300 && status !== 404) throw answered(operation, status, body);
}

/** Removes the offending object (container: force + volumes, and its named volumes that break the policy; service; volume: force; network); exec: no-op. */
export async function removeStored(ep: EngineSocket, kind: StoredKind, id: string): Promise<void> {
  if (kind === 'exec') return; // the engine cannot remove exec instances: refuse starting them instead
  // A volume a mount with driver options created outlives its container (`v` removes anonymous volumes only).
  const volumes = kind === 'container' ? (await offendingReferences(ep, kind, await inspect(ep, kind, id))).filter((r) => r.kind === 'volume') : [];
  await remove(ep, kind, id);
  // A volume still used by another container stays (409), and that container fails the oracle in turn.
  for (const volume of volumes) await remove(ep, 'volume', volume.id).catch(() => undefined);
}
