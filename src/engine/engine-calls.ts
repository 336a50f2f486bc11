import type Dockerode from 'dockerode';
import { EngineError } from '../core/errors.js';

/** The HTTP status of a dockerode error, if any. */
export function statusOf(e: unknown): number | undefined {
  const code = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Runs an engine call whose 404 (already gone) is success. */
export async function ignore404(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
}

/** Runs an engine call, wrapping failures in an EngineError naming the operation. */
export async function guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError(operation, e);
  }
}

/** Changes fields of a swarm member's spec at its current version (when `only` holds of its spec). */
export async function updateMember(manager: Dockerode, memberId: string, change: Record<string, unknown>, only: (spec: Record<string, unknown>) => boolean = () => true): Promise<void> {
  const node = manager.getNode(memberId);
  const info = (await node.inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
  if (only(info.Spec)) await node.update({ _query: { version: info.Version.Index }, _body: { ...info.Spec, ...change } });
}
