import { ErrorCode, type CarinaError } from '../core/errors.js';

/** HTTP status of each error code; only the API knows about HTTP. */
const STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.VALIDATION]: 400,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.CSRF]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CLUSTER_NOT_FOUND]: 404,
  [ErrorCode.ACCOUNT_NOT_FOUND]: 404,
  [ErrorCode.CLUSTER_EXISTS]: 409,
  [ErrorCode.ACCOUNT_EXISTS]: 409,
  [ErrorCode.QUOTA_EXCEEDED]: 403,
  [ErrorCode.INVALID_STATE]: 409,
  [ErrorCode.FLAVOR_NOT_FOUND]: 400,
  [ErrorCode.CREDENTIALS_NOT_READY]: 409,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.HEADERS_TOO_LARGE]: 431,
  [ErrorCode.REQUEST_TIMEOUT]: 408,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCode.METHOD_NOT_ALLOWED]: 405,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.REGISTRY_UNAVAILABLE]: 503,
  [ErrorCode.REGISTRY_QUOTA]: 403,
  [ErrorCode.REGISTRY_DENIED]: 403,
  [ErrorCode.ENGINE]: 502,
  [ErrorCode.PORTS_EXHAUSTED]: 503,
  [ErrorCode.NO_CAPACITY]: 503,
  [ErrorCode.HOST_EXISTS]: 409,
  [ErrorCode.STORE_UNAVAILABLE]: 503,
  [ErrorCode.FENCED]: 503,
  [ErrorCode.GATEWAY]: 503,
  [ErrorCode.INTERNAL]: 500,
});

/** The HTTP status for an error code. */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** What an HTTP client does next, by code: the core's messages name no route, the API adds one. */
const HINTS: Readonly<Partial<Record<ErrorCode, string>>> = Object.freeze({
  [ErrorCode.CLUSTER_NOT_FOUND]: 'list yours with GET /v1/clusters',
  [ErrorCode.FLAVOR_NOT_FOUND]: 'list them with GET /v1/flavors',
});

/** The message an HTTP client reads: the domain's message, then the API's hint for its code. */
export function httpMessage(error: CarinaError): string {
  const hint = HINTS[error.code];
  return hint === undefined ? error.message : `${error.message}: ${hint}`;
}

/** The JSON error body every failure uses. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
