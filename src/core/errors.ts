import { ErrorCode } from '../wire/error-codes.js';

// The codes are the contract's (clients know them too); core raises them.
export { ErrorCode } from '../wire/error-codes.js';

/**
 * Base of every error Carina raises on purpose: a stable code, a message in the domain's words (never
 * a route or a command: each surface adds its own hint from the code and `details`), and `cause`.
 */
export class CarinaError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CarinaError';
    this.code = code;
    this.details = options?.details;
  }
}

/** A failure of the container engine, wrapped with the operation that failed. */
export class EngineError extends CarinaError {
  readonly operation: string;

  constructor(operation: string, cause: unknown) {
    super(ErrorCode.ENGINE, `${operation}: ${describeCause(cause)}`, { cause });
    this.name = 'EngineError';
    this.operation = operation;
  }
}

/** FENCED: a step or write made for a leader that no longer holds its lease (or cannot be sure it does). */
export function fencedError(fence: { readonly lease: string; readonly holder: string; readonly generation: number } | undefined): CarinaError {
  const whose = fence ? `${fence.holder}'s lease (generation ${fence.generation})` : 'a lease this replica does not hold now';
  return new CarinaError(ErrorCode.FENCED, `refused a step made under ${whose}: another replica may lead; nothing was changed`, {
    details: fence ? { lease: fence.lease, holder: fence.holder, generation: fence.generation } : {},
  });
}

/** Whether `err` (or what it wraps: an EngineError of a refused engine request) says this replica is not the leader any more. */
export function isFenced(err: unknown): boolean {
  if (err instanceof CarinaError && err.code === ErrorCode.FENCED) return true;
  const cause = err instanceof Error ? err.cause : undefined;
  return cause !== undefined && cause !== err && isFenced(cause);
}

/** The most useful one-line text of an unknown thrown value (engine messages are often in `json.message`). */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const json = (cause as { json?: unknown }).json;
    if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
      return (json as { message: string }).message.trim();
    }
    return cause.message.split('\n')[0]?.trim() ?? cause.message;
  }
  return String(cause);
}
