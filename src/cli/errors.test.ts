import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../wire/error-codes.js';
import { CliCode, CliError, errorLine, ExitCode, exitCodeOf, toCliError } from './errors.js';

describe('exit codes', () => {
  it('maps the server codes to distinct documented exit codes', () => {
    expect(exitCodeOf('CARINA_ERR_VALIDATION')).toBe(ExitCode.USAGE);
    expect(exitCodeOf('CARINA_ERR_UNAUTHORIZED')).toBe(ExitCode.AUTH);
    expect(exitCodeOf('CARINA_ERR_CLUSTER_NOT_FOUND')).toBe(ExitCode.NOT_FOUND);
    expect(exitCodeOf('CARINA_ERR_QUOTA_EXCEEDED')).toBe(ExitCode.CONFLICT);
    expect(exitCodeOf('CARINA_ERR_CLUSTER_EXISTS')).toBe(ExitCode.CONFLICT);
    expect(exitCodeOf('CARINA_ERR_INVALID_STATE')).toBe(ExitCode.CONFLICT);
    expect(exitCodeOf('CARINA_ERR_INTERNAL')).toBe(ExitCode.UNAVAILABLE);
    expect(exitCodeOf(CliCode.NO_CREDENTIALS)).toBe(ExitCode.AUTH);
    expect(exitCodeOf(CliCode.NETWORK)).toBe(ExitCode.UNAVAILABLE);
    expect(exitCodeOf(CliCode.TIMEOUT)).toBe(ExitCode.TIMEOUT);
    expect(exitCodeOf(CliCode.CLUSTER_FAILED)).toBe(ExitCode.FAILED);
  });

  it('has an exit code for every code of the contract, the newest ones included', () => {
    for (const code of Object.values(ErrorCode)) expect(exitCodeOf(code), code).not.toBe(ExitCode.FAILED);
    expect(exitCodeOf(ErrorCode.CSRF)).toBe(ExitCode.AUTH);
    expect(exitCodeOf(ErrorCode.GATEWAY)).toBe(ExitCode.UNAVAILABLE);
  });

  it('falls back on the HTTP status for unknown codes', () => {
    expect(exitCodeOf('CARINA_ERR_SOMETHING_NEW', 403)).toBe(ExitCode.AUTH);
    expect(exitCodeOf('CARINA_ERR_SOMETHING_NEW', 404)).toBe(ExitCode.NOT_FOUND);
    expect(exitCodeOf('CARINA_ERR_SOMETHING_NEW', 409)).toBe(ExitCode.CONFLICT);
    expect(exitCodeOf('CARINA_ERR_SOMETHING_NEW', 422)).toBe(ExitCode.USAGE);
    expect(exitCodeOf('CARINA_ERR_SOMETHING_NEW', 503)).toBe(ExitCode.UNAVAILABLE);
    expect(exitCodeOf('CARINA_ERR_SOMETHING_NEW')).toBe(ExitCode.FAILED);
  });

  it('keeps every exit code distinct per category', () => {
    const values = Object.values(ExitCode);
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('error lines', () => {
  it('is one line ending with the code', () => {
    expect(errorLine('CARINA_ERR_X', 'first\n  second ')).toBe('carina: first second (CARINA_ERR_X)');
  });

  it('wraps unexpected errors as local failures (exit 1)', () => {
    const e = toCliError(new Error('disk full'));
    expect(e).toBeInstanceOf(CliError);
    expect([e.code, e.exitCode, e.message]).toEqual([CliCode.LOCAL, 1, 'disk full']);
    expect(toCliError('boom').message).toBe('boom');
    const own = new CliError('CARINA_ERR_UNAUTHORIZED', 'no', { httpStatus: 401 });
    expect(toCliError(own)).toBe(own);
  });
});
