import { matchRoute, routePattern } from '../core/docker-routes.js';
import { describeCause } from '../core/errors.js';
import { PolicyCode, type Violation } from '../core/policy-codes.js';
import { checkStored, removeStored, storedTarget, type EngineSocket } from './stored-check.js';

/** The verdict on what the engine did: keep its answer, or refuse (the object is already removed). */
export type ResultVerdict = { readonly ok: true } | { readonly ok: false; readonly violation: Violation; readonly status: number };

/** A successful answer is at most this large for the creates and updates the oracle checks ({"Id": …, "Warnings": […]}). */
export const CHECKED_ANSWER_LIMIT = 1024 * 1024;

/**
 * Checks what a create or update the engine accepted really stored (its own inspect document, see
 * core/policy-oracle.ts) and removes it if it breaks the policy. The request passed the policy, so
 * this only finds something when the policy and the engine read a request differently: then the
 * object is gone before the client hears of it. Fails closed: if the result cannot be inspected,
 * the object is removed as far as possible and the request is refused.
 */
export async function verifyResult(ep: EngineSocket, method: string, path: string, answer: Buffer): Promise<ResultVerdict> {
  let parsed: unknown;
  try {
    parsed = answer.length === 0 ? undefined : JSON.parse(answer.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const target = storedTarget(method, path, parsed);
  if (!target) return failed(`the engine's answer names no object to check`);
  try {
    const found = await checkStored(ep, target.kind, target.id);
    if (!found) return { ok: true };
    await removeStored(ep, target.kind, found.id);
    return { ok: false, violation: { code: found.code, message: found.message }, status: 403 };
  } catch (e) {
    await removeStored(ep, target.kind, target.id).catch(() => undefined);
    return failed(`what the engine stored could not be checked (${describeCause(e)})`);
  }
}

/** Before an exec instance starts: refuses one whose stored configuration breaks the policy (execs cannot be removed). */
export async function verifyExec(ep: EngineSocket, execId: string): Promise<ResultVerdict> {
  try {
    const found = await checkStored(ep, 'exec', execId);
    return found ? { ok: false, violation: { code: found.code, message: found.message }, status: 403 } : { ok: true };
  } catch (e) {
    return failed(`the exec instance could not be checked (${describeCause(e)})`);
  }
}

const EXEC_START = { method: 'POST', template: '/exec/{name:.*}/start' };
const EXEC_START_PATTERN = routePattern(EXEC_START.template);

/** The exec instance a request starts (POST /exec/{id}/start, plain or upgraded), if it is one. */
export function execStarted(method: string, path: string): string | undefined {
  return matchRoute(EXEC_START_PATTERN, method, EXEC_START, path)?.[0];
}

function failed(reason: string): ResultVerdict {
  return { ok: false, status: 502, violation: { code: PolicyCode.ENGINE_UNREACHABLE, message: `${reason}: the request was not carried out; retry it` } };
}
