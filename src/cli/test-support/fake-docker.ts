import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A `docker` executable in a temporary directory (put it first on PATH) that records its
 * arguments, stdin and DOCKER_CONFIG, prints what it is told to on stderr and exits with `exit`.
 */
export class FakeDocker {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(): Promise<FakeDocker> {
    const docker = new FakeDocker(await mkdtemp(join(tmpdir(), 'carina-fake-docker-')));
    await docker.behave(0, '');
    return docker;
  }

  /** The next runs print `stderr` and exit with `exit`; what earlier runs received is forgotten. */
  async behave(exit: number, stderr: string): Promise<void> {
    for (const f of ['args', 'stdin', 'docker-config']) await rm(join(this.dir, f), { force: true });
    const script = [
      '#!/bin/sh',
      `printf '%s\\n' "$@" > "${this.dir}/args"`,
      `cat > "${this.dir}/stdin"`,
      `printf '%s' "\${DOCKER_CONFIG-unset}" > "${this.dir}/docker-config"`,
      `printf '%s' '${stderr.replaceAll("'", `'\\''`)}' >&2`,
      exit === 0 ? 'echo "Login Succeeded"' : '',
      `exit ${exit}`,
      '',
    ].join('\n');
    await writeFile(join(this.dir, 'docker'), script);
    await chmod(join(this.dir, 'docker'), 0o755);
  }

  /** What the last run received (undefined fields: it did not run). */
  async received(): Promise<{ args: string[]; stdin: string; dockerConfig: string } | undefined> {
    const read = (f: string) => readFile(join(this.dir, f), 'utf8').catch(() => undefined);
    const args = await read('args');
    if (args === undefined) return undefined;
    return { args: args.trimEnd().split('\n'), stdin: (await read('stdin')) ?? '', dockerConfig: (await read('docker-config')) ?? '' };
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
