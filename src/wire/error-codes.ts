/**
 * The stable codes of the API's errors (`{"error":{"code","message"}}`). Never rename one: the CLI's
 * exit codes, the portal and users' scripts depend on them. Which HTTP status each gets is the API's
 * business (src/api/http-errors.ts); which exit code, the CLI's (src/cli/errors.ts).
 */
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
  /** The request's header section is larger than the server reads (Node's 16 KiB). */
  HEADERS_TOO_LARGE: 'CARINA_ERR_HEADERS_TOO_LARGE',
  /** The client did not send its whole request in time. */
  REQUEST_TIMEOUT: 'CARINA_ERR_REQUEST_TIMEOUT',
  UNSUPPORTED_MEDIA_TYPE: 'CARINA_ERR_UNSUPPORTED_MEDIA_TYPE',
  METHOD_NOT_ALLOWED: 'CARINA_ERR_METHOD_NOT_ALLOWED',
  /** Too many failed authentications from one address for one account: wait (Retry-After). */
  RATE_LIMITED: 'CARINA_ERR_RATE_LIMITED',
  /** This control plane runs no registry (`CARINA_REGISTRY=off`, or docker-registry is not installed). */
  REGISTRY_UNAVAILABLE: 'CARINA_ERR_REGISTRY_UNAVAILABLE',
  /** The registry's token server grants nothing of what was asked (another account's repository, the catalog, push with a pull credential). */
  REGISTRY_DENIED: 'CARINA_ERR_REGISTRY_DENIED',
  /** A push would take the account's registry storage past its quota. */
  REGISTRY_QUOTA: 'CARINA_ERR_REGISTRY_QUOTA',
  ENGINE: 'CARINA_ERR_ENGINE',
  PORTS_EXHAUSTED: 'CARINA_ERR_PORTS_EXHAUSTED',
  /** The Docker hosts have no room for the nodes asked for (the message says what is missing). */
  NO_CAPACITY: 'CARINA_ERR_NO_CAPACITY',
  /** A Docker host of that name, or at that address, is already registered (`carina-server hosts add`). */
  HOST_EXISTS: 'CARINA_ERR_HOST_EXISTS',
  /** The store (database) does not answer or cannot write: retry after Retry-After; nothing was changed. */
  STORE_UNAVAILABLE: 'CARINA_ERR_STORE_UNAVAILABLE',
  /** A write made for a leader whose lease was taken or expired (a fencing token out of date): refused, nothing changed. */
  FENCED: 'CARINA_ERR_FENCED',
  GATEWAY: 'CARINA_ERR_GATEWAY',
  INTERNAL: 'CARINA_ERR_INTERNAL',
});
/** One of the ErrorCode values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** True when `code` is one of this contract's codes (a newer server may send one a client does not know yet). */
export function isErrorCode(code: string): code is ErrorCode {
  return CODES.has(code);
}
