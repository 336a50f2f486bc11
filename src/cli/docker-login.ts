import { spawn } from 'node:child_process';
import { CliCode, CliError } from './errors.js';

/** What `docker login` needs: the key goes to its stdin, never into its arguments. */
export interface DockerLogin {
  readonly address: string;
  readonly username: string;
  readonly password: string;
  /** The environment of the `docker` client (its PATH, DOCKER_HOST, DOCKER_CONFIG…). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--docker-config DIR`: where docker stores the credentials (DOCKER_CONFIG). */
  readonly dockerConfig?: string | undefined;
  readonly timeoutMs?: number;
}

/** How `docker login` ended. */
export type DockerLoginOutcome =
  | { readonly kind: 'ok'; readonly warnings: readonly string[] }
  | { readonly kind: 'failed'; readonly exitCode: number | null; readonly stderr: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'timeout' };

/** The argument vector of the login: the address and the username, and the key read from stdin. */
export const dockerLoginArgs = (address: string, username: string) => ['login', address, '--username', username, '--password-stdin'];

/** Runs the real `docker login ADDRESS --username USER --password-stdin`. */
export function runDockerLogin(o: DockerLogin): Promise<DockerLoginOutcome> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.env)) if (v !== undefined) env[k] = v;
  if (o.dockerConfig !== undefined) env.DOCKER_CONFIG = o.dockerConfig;
  return new Promise((resolve) => {
    const child = spawn('docker', dockerLoginArgs(o.address, o.username), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let settled = false;
    const done = (outcome: DockerLoginOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ kind: 'timeout' });
    }, o.timeoutMs ?? 60_000);
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error: NodeJS.ErrnoException) => done(error.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'failed', exitCode: null, stderr: error.message }));
    child.on('close', (code) => done(code === 0 ? { kind: 'ok', warnings: warningsOf(stderr) } : { kind: 'failed', exitCode: code, stderr }));
    // docker may exit before reading stdin (a bad flag): that EPIPE is its failure, reported by 'close'.
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.password);
  });
}

const lines = (text: string) => text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');

/** docker's warning on a successful login (e.g. the key stored unencrypted), as one line. */
export function warningsOf(stderr: string): string[] {
  const text = lines(stderr).join(' ').replace(/^WARNING!?\s*/i, '');
  return text === '' ? [] : [text];
}

/** The one line saying why `docker login` did not work, with what to do when Carina knows it. */
export function loginFailure(address: string, outcome: Exclude<DockerLoginOutcome, { kind: 'ok' }>, trustPending: boolean): CliError {
  const fail = (message: string) => new CliError(CliCode.LOCAL, message);
  switch (outcome.kind) {
    case 'missing':
      return fail('no docker client found on PATH: install docker, or run "carina registry login --no-docker" and log in as it shows');
    case 'timeout':
      return fail(`docker login ${address} gave no answer within 60 s: check that the docker daemon is running and reaches ${address}`);
    case 'failed': {
      const shown = lines(outcome.stderr).filter((l) => !/^WARNING/i.test(l));
      const why = shown.at(-1) ?? `docker exited with ${outcome.exitCode ?? 'a signal'}`;
      const untrusted = /x509|certificate/i.test(why);
      const hint = untrusted
        ? trustPending
          ? `: the docker daemon does not trust the registry's CA yet; run the commands above, then "carina registry login" again`
          : `: the docker daemon does not trust the registry's CA (a daemon on another machine, DOCKER_HOST, reads its own certs.d)`
        : '';
      return fail(`docker login ${address} failed: ${why}${hint}`);
    }
  }
}
