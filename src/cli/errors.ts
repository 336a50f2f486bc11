import { ErrorCode } from '../wire/error-codes.js';

/** Exit codes of `carina` (documented in docs/cli.md); scripts may rely on them. */
export const ExitCode = Object.freeze({
  OK: 0,
  /** The cluster operation ended in `error`, or an unexpected local failure. */
  FAILED: 1,
  /** Bad arguments, flags or configuration file. */
  USAGE: 2,
  /** No credentials, or the server rejected them. */
  AUTH: 3,
  /** No such cluster (or endpoint object). */
  NOT_FOUND: 4,
  /** Conflict: the name exists, the cluster is busy, or a quota is exceeded. */
  CONFLICT: 5,
  /** The server failed, could not be reached, answered too slowly, or lacks the feature. */
  UNAVAILABLE: 6,
  /** `--wait` ran out of `--timeout`. */
  TIMEOUT: 7,
});
/** One of the ExitCode values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Codes the CLI raises itself (the server's own, src/wire/error-codes.ts, are passed through unchanged). */
export const CliCode = Object.freeze({
  USAGE: 'CARINA_ERR_USAGE',
  CONFIG: 'CARINA_ERR_CONFIG',
  NO_CREDENTIALS: 'CARINA_ERR_NO_CREDENTIALS',
  NETWORK: 'CARINA_ERR_NETWORK',
  BAD_RESPONSE: 'CARINA_ERR_BAD_RESPONSE',
  UNSUPPORTED: 'CARINA_ERR_UNSUPPORTED',
  TIMEOUT: 'CARINA_ERR_TIMEOUT',
  CLUSTER_FAILED: 'CARINA_ERR_CLUSTER_FAILED',
  LOCAL: 'CARINA_ERR_LOCAL',
});

/** One of the CliCode values. */
export type CliCode = (typeof CliCode)[keyof typeof CliCode];

// Every code, the CLI's and the server's, has its exit code: the compiler says so when the contract gains one.
const BY_CODE: Readonly<Record<CliCode | ErrorCode, ExitCode>> = Object.freeze({
  [CliCode.USAGE]: ExitCode.USAGE,
  [CliCode.CONFIG]: ExitCode.USAGE,
  [ErrorCode.BAD_REQUEST]: ExitCode.USAGE,
  [ErrorCode.VALIDATION]: ExitCode.USAGE,
  [ErrorCode.FLAVOR_NOT_FOUND]: ExitCode.USAGE,
  [ErrorCode.PAYLOAD_TOO_LARGE]: ExitCode.USAGE,
  [ErrorCode.HEADERS_TOO_LARGE]: ExitCode.USAGE,
  [ErrorCode.REQUEST_TIMEOUT]: ExitCode.UNAVAILABLE,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: ExitCode.USAGE,
  [ErrorCode.METHOD_NOT_ALLOWED]: ExitCode.USAGE,
  [CliCode.NO_CREDENTIALS]: ExitCode.AUTH,
  [ErrorCode.UNAUTHORIZED]: ExitCode.AUTH,
  [ErrorCode.CSRF]: ExitCode.AUTH,
  [ErrorCode.RATE_LIMITED]: ExitCode.AUTH,
  [ErrorCode.NOT_FOUND]: ExitCode.NOT_FOUND,
  [ErrorCode.CLUSTER_NOT_FOUND]: ExitCode.NOT_FOUND,
  [ErrorCode.ACCOUNT_NOT_FOUND]: ExitCode.NOT_FOUND,
  [ErrorCode.CLUSTER_EXISTS]: ExitCode.CONFLICT,
  [ErrorCode.ACCOUNT_EXISTS]: ExitCode.CONFLICT,
  [ErrorCode.QUOTA_EXCEEDED]: ExitCode.CONFLICT,
  [ErrorCode.INVALID_STATE]: ExitCode.CONFLICT,
  [ErrorCode.CREDENTIALS_NOT_READY]: ExitCode.CONFLICT,
  [CliCode.NETWORK]: ExitCode.UNAVAILABLE,
  [CliCode.BAD_RESPONSE]: ExitCode.UNAVAILABLE,
  [CliCode.UNSUPPORTED]: ExitCode.UNAVAILABLE,
  [ErrorCode.REGISTRY_UNAVAILABLE]: ExitCode.UNAVAILABLE,
  [ErrorCode.REGISTRY_QUOTA]: ExitCode.CONFLICT,
  [ErrorCode.REGISTRY_DENIED]: ExitCode.AUTH,
  [ErrorCode.ENGINE]: ExitCode.UNAVAILABLE,
  [ErrorCode.PORTS_EXHAUSTED]: ExitCode.UNAVAILABLE,
  [ErrorCode.NO_CAPACITY]: ExitCode.UNAVAILABLE,
  [ErrorCode.HOST_EXISTS]: ExitCode.CONFLICT,
  [ErrorCode.STORE_UNAVAILABLE]: ExitCode.UNAVAILABLE,
  [ErrorCode.FENCED]: ExitCode.UNAVAILABLE,
  [ErrorCode.GATEWAY]: ExitCode.UNAVAILABLE,
  [ErrorCode.INTERNAL]: ExitCode.UNAVAILABLE,
  [CliCode.TIMEOUT]: ExitCode.TIMEOUT,
  [CliCode.CLUSTER_FAILED]: ExitCode.FAILED,
  [CliCode.LOCAL]: ExitCode.FAILED,
});

/** The exit code for an error code, falling back on the HTTP status for codes this CLI doesn't know. */
export function exitCodeOf(code: string, httpStatus?: number): ExitCode {
  const known = (BY_CODE as Readonly<Record<string, ExitCode | undefined>>)[code];
  if (known !== undefined) return known;
  if (httpStatus === undefined) return ExitCode.FAILED;
  if (httpStatus === 401 || httpStatus === 403) return ExitCode.AUTH;
  if (httpStatus === 404) return ExitCode.NOT_FOUND;
  if (httpStatus === 409) return ExitCode.CONFLICT;
  if (httpStatus >= 500) return ExitCode.UNAVAILABLE;
  if (httpStatus >= 400) return ExitCode.USAGE;
  return ExitCode.FAILED;
}

/** An error the CLI reports as one line, `carina: <message> (<code>)`, and exits with `exitCode`. */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly httpStatus: number | undefined;

  constructor(code: string, message: string, options: { httpStatus?: number; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.httpStatus = options.httpStatus;
    this.exitCode = options.exitCode ?? exitCodeOf(code, options.httpStatus);
  }
}

/** A usage error (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(CliCode.USAGE, message);
}

/** The single stderr line for an error: no newlines, ends with the code in parentheses. */
export function errorLine(code: string, message: string): string {
  const text = message.replace(/\s*\n\s*/g, ' ').trim();
  return `carina: ${text} (${code})`;
}

/** Converts anything thrown into a CliError (unexpected errors keep their message, exit 1). */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof Error) return new CliError(CliCode.LOCAL, error.message, { cause: error });
  return new CliError(CliCode.LOCAL, String(error));
}
