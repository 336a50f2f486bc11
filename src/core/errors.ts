/** Stable error codes. Never rename one: clients (CLI exit codes, scripts) depend on them. */
export const ErrorCode = Object.freeze({
  BAD_REQUEST: 'CARINA_ERR_BAD_REQUEST',
  VALIDATION: 'CARINA_ERR_VALIDATION',
  UNAUTHORIZED: 'CARINA_ERR_UNAUTHORIZED',
  /** A cookie-authenticated write without the session's X-CSRF-Token. */
  CSRF: 'CARINA_ERR_CSRF',
  NOT_FOUND: 'CARINA_ERR_NOT_FOUND',
  CLUSTER_NOT_FOUND: 'CARINA_ERR_CLUSTER_NOT_FOUND',
  ACCOUNT_NOT_FOUND: 'CARINA_ERR_ACCOUNT_NOT_FOUND',
  CLUSTER_EXISTS: 'CARINA_ERR_CLUSTER_EXISTS',
  ACCOUNT_EXISTS: 'CARINA_ERR_ACCOUNT_EXISTS',
  QUOTA_EXCEEDED: 'CARINA_ERR_QUOTA_EXCEEDED',
  INVALID_STATE: 'CARINA_ERR_INVALID_STATE',
  FLAVOR_NOT_FOUND: 'CARINA_ERR_FLAVOR_NOT_FOUND',
  CREDENTIALS_NOT_READY: 'CARINA_ERR_CREDENTIALS_NOT_READY',
  PAYLOAD_TOO_LARGE: 'CARINA_ERR_PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'CARINA_ERR_UNSUPPORTED_MEDIA_TYPE',
  METHOD_NOT_ALLOWED: 'CARINA_ERR_METHOD_NOT_ALLOWED',
  /** Too many failed authentications from one address for one account: wait (Retry-After). */
  RATE_LIMITED: 'CARINA_ERR_RATE_LIMITED',
  ENGINE: 'CARINA_ERR_ENGINE',
  PORTS_EXHAUSTED: 'CARINA_ERR_PORTS_EXHAUSTED',
  GATEWAY: 'CARINA_ERR_GATEWAY',
  INTERNAL: 'CARINA_ERR_INTERNAL',
});
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base of every error Carina raises on purpose: a stable code and a message a user can act on. */
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
