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

/** Codes the CLI raises itself (the server's own codes are passed through unchanged). */
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

const BY_CODE: Readonly<Record<string, ExitCode>> = Object.freeze({
  [CliCode.USAGE]: ExitCode.USAGE,
  [CliCode.CONFIG]: ExitCode.USAGE,
  [CliCode.NO_CREDENTIALS]: ExitCode.AUTH,
  [CliCode.NETWORK]: ExitCode.UNAVAILABLE,
  [CliCode.BAD_RESPONSE]: ExitCode.UNAVAILABLE,
  [CliCode.UNSUPPORTED]: ExitCode.UNAVAILABLE,
  [CliCode.TIMEOUT]: ExitCode.TIMEOUT,
  [CliCode.CLUSTER_FAILED]: ExitCode.FAILED,
  [CliCode.LOCAL]: ExitCode.FAILED,
  CARINA_ERR_BAD_REQUEST: ExitCode.USAGE,
  CARINA_ERR_VALIDATION: ExitCode.USAGE,
  CARINA_ERR_FLAVOR_NOT_FOUND: ExitCode.USAGE,
  CARINA_ERR_PAYLOAD_TOO_LARGE: ExitCode.USAGE,
  CARINA_ERR_UNSUPPORTED_MEDIA_TYPE: ExitCode.USAGE,
  CARINA_ERR_METHOD_NOT_ALLOWED: ExitCode.USAGE,
  CARINA_ERR_UNAUTHORIZED: ExitCode.AUTH,
  CARINA_ERR_RATE_LIMITED: ExitCode.AUTH,
  CARINA_ERR_NOT_FOUND: ExitCode.NOT_FOUND,
  CARINA_ERR_CLUSTER_NOT_FOUND: ExitCode.NOT_FOUND,
  CARINA_ERR_ACCOUNT_NOT_FOUND: ExitCode.NOT_FOUND,
  CARINA_ERR_CLUSTER_EXISTS: ExitCode.CONFLICT,
  CARINA_ERR_ACCOUNT_EXISTS: ExitCode.CONFLICT,
  CARINA_ERR_QUOTA_EXCEEDED: ExitCode.CONFLICT,
  CARINA_ERR_INVALID_STATE: ExitCode.CONFLICT,
  CARINA_ERR_CREDENTIALS_NOT_READY: ExitCode.CONFLICT,
  CARINA_ERR_ENGINE: ExitCode.UNAVAILABLE,
  CARINA_ERR_PORTS_EXHAUSTED: ExitCode.UNAVAILABLE,
  CARINA_ERR_INTERNAL: ExitCode.UNAVAILABLE,
});

/** The exit code for an error code, falling back on the HTTP status for codes this CLI doesn't know. */
export function exitCodeOf(code: string, httpStatus?: number): ExitCode {
  const known = BY_CODE[code];
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

// The server's hints name HTTP routes; a CLI user wants the matching command.
const HINTS: readonly (readonly [RegExp, string])[] = [
  [/GET \/v1\/clusters\b(?!\/)/g, '"carina ls"'],
  [/GET \/v1\/flavors/g, '"carina flavors"'],
  [/GET \/v1\/quotas/g, '"carina quotas"'],
];

/** Rewrites the server's HTTP-oriented hints into CLI commands. */
export function cliHints(message: string): string {
  return HINTS.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), message);
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
