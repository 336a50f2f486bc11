import type { IncomingMessage } from 'node:http';
import { decodeJsonBody, encodeJsonBody } from '../core/json-body.js';
import { pathValues } from '../core/json-fields.js';
import { PolicyCode, type ResolvedNetwork } from '../core/policy.js';
import type { Endpoint } from './proxy.js';

/** The largest body the gateway buffers for the policy (container and service specs are a few KiB). */
export const POLICY_BODY_LIMIT = 1024 * 1024;

/** A body read for the policy: its decoded value and the bytes to forward (that value re-serialised), or why it cannot be read. */
export type PolicyBody =
  | { readonly ok: true; readonly value: unknown; readonly forward: Buffer }
  | { readonly ok: false; readonly code: PolicyCode; readonly message: string };

/** Reads (at most POLICY_BODY_LIMIT bytes of) a JSON body, refusing repeated fields; an empty body is `undefined`. */
export async function readPolicyBody(req: IncomingMessage): Promise<PolicyBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > POLICY_BODY_LIMIT) {
      return { ok: false, code: PolicyCode.BODY_TOO_LARGE, message: `a configuration body larger than ${POLICY_BODY_LIMIT} bytes is not accepted` };
    }
    chunks.push(chunk);
  }
  const decoded = decodeJsonBody(Buffer.concat(chunks).toString('utf8'));
  if (!decoded.ok) return { ok: false, ...decoded.violation };
  return { ok: true, value: decoded.value, forward: Buffer.from(encodeJsonBody(decoded.value), 'utf8') };
}

/** GET `path` on the manager engine: the parsed JSON of a 200 answer, undefined otherwise. */
function getJson(ep: Endpoint, path: string): Promise<unknown> {
  return new Promise((resolve) => {
    const req = ep.engine.request({ path, headers: { host: 'docker' } });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** The current role (`manager` | `worker`) of a swarm node, asked of the manager engine; undefined if unknown. */
export async function lookupNodeRole(ep: Endpoint, nodeId: string): Promise<string | undefined> {
  const role = pathValues(await getJson(ep, `/nodes/${encodeURIComponent(nodeId)}`), 'spec', 'role')[0];
  return typeof role === 'string' ? role : undefined;
}

/** Name and driver of each network reference on the manager engine (null when there is no such network). */
export async function lookupNetworks(ep: Endpoint, refs: readonly string[]): Promise<Record<string, ResolvedNetwork | null>> {
  const out: Record<string, ResolvedNetwork | null> = {};
  await Promise.all(
    refs.map(async (ref) => {
      const net = await getJson(ep, `/networks/${encodeURIComponent(ref)}`);
      const name = pathValues(net, 'name')[0];
      const driver = pathValues(net, 'driver')[0];
      out[ref] = typeof name === 'string' && typeof driver === 'string' ? { name, driver } : null;
    }),
  );
  return out;
}
