import { lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox, disposeServer, onPath, runProcess } from './support/cli.js';
import { TestServer } from './support/server.js';

// Credentials on disk, `carina env` for every shell that Debian packages (bash, zsh, fish), the
// refresh of an outdated bundle, safe removal by `rm`, and completion scripts.
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('carina CLI: credentials, env for each shell, completion', () => {
  const server = new TestServer('clienv');
  let cli: CliSandbox;
  let dir = '';

  beforeAll(async () => {
    for (const shell of ['zsh', 'fish']) {
      if (!(await onPath(shell))) throw new Error(`${shell} is not installed: apt-get install -y ${shell} (see .ci/run)`);
    }
    await server.start();
    const key = await server.createAccount('dave');
    cli = new CliSandbox('env', { CARINA_ENDPOINT: server.url, CARINA_USERNAME: 'dave', CARINA_APIKEY: key });
    const r = await cli.carina(['create', 'demo', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    dir = join(cli.carinaHome, 'clusters', 'dave', 'demo');
  });
  afterAll(async () => {
    await disposeServer(server);
    await cli?.cleanup();
  });

  it('credentials writes the bundle with private permissions and says how to use it', async () => {
    const r = await cli.carina(['credentials', 'demo']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Wrote the credentials of demo to ${dir}\n`);
    expect(r.stdout).toContain(`source ${dir}/docker.env`);
    expect(r.stdout).toContain('eval "$(carina env demo)"');
    for (const d of [cli.carinaHome, join(cli.carinaHome, 'clusters'), join(cli.carinaHome, 'clusters', 'dave'), dir]) expect(mode(d)).toBe('700');
    for (const f of ['ca.pem', 'cert.pem', 'key.pem', 'docker.env', 'docker.fish', 'docker.ps1', 'docker.cmd', 'README.md', '.carina-serial']) {
      expect(mode(join(dir, f))).toBe('600');
    }
    const custom = await cli.carina(['creds', 'demo', '--path', 'mycreds']);
    expect(custom.code, custom.stderr).toBe(0);
    expect(custom.stdout).toContain(`to ${join(cli.dir, 'mycreds')}`);
    expect(mode(join(cli.dir, 'mycreds'))).toBe('700');
    expect(mode(join(cli.dir, 'mycreds', 'key.pem'))).toBe('600');
  });

  const check = `docker version --format 'server {{.Server.Version}}'; echo "certs $DOCKER_CERT_PATH"`;

  it('bash: sources the file env prints, and eval works', async () => {
    const r = await cli.shell('bash', `carina env demo > env.bash\nsource ./env.bash\n${check}`, { SHELL: '/bin/bash' });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(cli.dir, 'env.bash'), 'utf8')).toBe(`source '${dir}/docker.env'\n# Run this command to configure your shell: eval "$(carina env demo)"\n`);
    expect(r.stdout).toMatch(/^server \d+/m);
    expect(r.stdout).toContain(`certs ${dir}\n`);
  });

  it('zsh: detected from $SHELL; source, eval and an interactive shell all work', async () => {
    const env = { SHELL: '/usr/bin/zsh' };
    const r = await cli.shell('zsh', `carina env demo > env.zsh && source ./env.zsh && ${check}`, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`certs ${dir}\n`);
    expect(readFileSync(join(cli.dir, 'env.zsh'), 'utf8')).toContain('eval "$(carina env demo)"');
    const ev = await cli.shell('zsh', `eval "$(carina env demo)" && ${check}`, env);
    expect(ev.stdout, ev.stderr).toContain(`certs ${dir}\n`);
    // interactive zsh has no interactivecomments by default: the comment line must not break eval
    const interactive = await runZshInteractive(`eval "$(carina env demo)" && ${check}`, env);
    expect(interactive.stdout, interactive.stderr).toContain(`certs ${dir}\n`);
    expect(interactive.stderr).not.toMatch(/command not found/);
  });

  const runZshInteractive = (script: string, env: Record<string, string>) =>
    runProcess('zsh', ['-f', '-i', '-c', script], cli.env(env), { cwd: cli.dir, timeoutMs: 60_000 });

  it('fish: sources docker.fish, and `carina env --shell fish | source` works', async () => {
    const r = await cli.shell('fish', `carina env demo --shell fish > env.fish; and source env.fish; and ${check}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`certs ${dir}\n`);
    expect(readFileSync(join(cli.dir, 'env.fish'), 'utf8')).toBe(`source '${dir}/docker.fish'\n# Run this command to configure your shell: carina env demo --shell fish | source\n`);
    const piped = await cli.shell('fish', `carina env demo --shell fish | source; and ${check}`);
    expect(piped.stdout, piped.stderr).toContain(`certs ${dir}\n`);
  });

  it('env downloads again only when the bundle is missing or from an older certificate', async () => {
    const current = await cli.carina(['--debug', 'env', 'demo']);
    expect(current.stderr).toMatch(/are current \(certificate serial [0-9a-f]+\)/);
    const serial = readFileSync(join(dir, '.carina-serial'), 'utf8').trim();
    writeFileSync(join(dir, '.carina-serial'), '0123\n');
    writeFileSync(join(dir, 'cert.pem'), 'an old certificate');
    const stale = await cli.carina(['--debug', 'env', 'demo']);
    expect(stale.stderr).toContain(`wrote credentials (certificate serial ${serial})`);
    expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
    rmSync(join(dir, 'key.pem'));
    const missing = await cli.carina(['--debug', 'env', 'demo']);
    expect(missing.stderr).toContain('wrote credentials');
    expect(mode(join(dir, 'key.pem'))).toBe('600');
  });

  it('rm removes the credentials directory only when it is a real bundle directory', async () => {
    for (const [name, prepare] of [
      ['nomarker', (d: string) => mkdirSync(d, { recursive: true })],
      ['linked', (d: string) => {
        mkdirSync(join(cli.dir, 'elsewhere'), { recursive: true });
        writeFileSync(join(cli.dir, 'elsewhere', 'ca.pem'), 'x');
        symlinkSync(join(cli.dir, 'elsewhere'), d);
      }],
    ] as const) {
      expect((await cli.carina(['create', name])).code).toBe(0);
      const d = join(cli.carinaHome, 'clusters', 'dave', name);
      prepare(d);
      const r = await cli.carina(['rm', name, '--wait']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^carina: warning: not removing /m);
      expect(lstatSync(d)).toBeTruthy();
    }
    expect(readFileSync(join(cli.dir, 'elsewhere', 'ca.pem'), 'utf8')).toBe('x');
  });

  it('completion scripts parse in their shells, and bash completes commands and cluster names', async () => {
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const r = await cli.shell('bash', `carina completion ${shell} > completion.${shell}\n${shell} -n completion.${shell}`);
      expect(r.code, `${shell}: ${r.stderr}`).toBe(0);
    }
    const r = await cli.shell('bash', `source completion.bash
COMP_WORDS=(carina gr); COMP_CWORD=1; _carina; echo "cmds: \${COMPREPLY[*]}"
COMP_WORDS=(carina env de); COMP_CWORD=2; _carina; echo "clusters: \${COMPREPLY[*]}"`);
    expect(r.stdout).toContain('cmds: grow\n');
    expect(r.stdout).toContain('clusters: demo\n');
  });
});
