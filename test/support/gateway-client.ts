import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Host and port of the bundle's DOCKER_HOST. */
export function endpointOf(bundleDir: string): { host: string; port: number } {
  const m = /DOCKER_HOST='?tcp:\/\/([^:'\n]+):(\d+)'?/.exec(readFileSync(join(bundleDir, 'docker.env'), 'utf8'));
  if (!m) throw new Error(`no DOCKER_HOST in ${bundleDir}/docker.env`);
  return { host: m[1] ?? '', port: Number(m[2]) };
}

/** A raw Docker API client over the gateway with a bundle's certificates (for requests the CLI cannot make). */
export class GatewayClient {
  readonly agent: https.Agent;
  readonly #endpoint: { host: string; port: number };

  constructor(bundleDir: string, keepAlive = false) {
    this.#endpoint = endpointOf(bundleDir);
    this.agent = new https.Agent({
      keepAlive,
      maxSockets: 1,
      ca: readFileSync(join(bundleDir, 'ca.pem')),
      cert: readFileSync(join(bundleDir, 'cert.pem')),
      key: readFileSync(join(bundleDir, 'key.pem')),
    });
  }

  /** One request; the body is sent as given (a string is sent verbatim, anything else as JSON). */
  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; text: string }> {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          ...this.#endpoint,
          method,
          path,
          agent: this.agent,
          headers: { ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: any;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, json, text });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * Sends `bytes` as they are over one mutual-TLS connection (for requests no HTTP client would
   * frame that way) and resolves with everything the gateway answered until it closed or went quiet.
   */
  raw(bytes: string, quietMs = 1_500): Promise<string> {
    const options = this.agent.options;
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ ...this.#endpoint, ca: options.ca, cert: options.cert, key: options.key }, () => socket.write(bytes));
      let text = '';
      let timer = setTimeout(() => socket.end(), quietMs);
      socket.on('data', (c: Buffer) => {
        text += c.toString('utf8');
        clearTimeout(timer);
        timer = setTimeout(() => socket.end(), quietMs);
      });
      socket.on('error', reject);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(text);
      });
    });
  }
}

/** `docker ARGS` with the bundle; resolves with exit code, stdout and stderr (never rejects on a non-zero exit). */
export async function dockerResult(bundleDir: string, args: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `source '${bundleDir}/docker.env'; exec docker ${quoted}`], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: bundleDir, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a shell command line with the bundle's environment (for pipelines and `script`). */
export async function shellWithBundle(bundleDir: string, command: string, timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  return run('bash', ['-c', `set -eu; source '${bundleDir}/docker.env'; ${command}`], {
    timeout: timeoutMs,
    cwd: bundleDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: bundleDir },
  });
}
