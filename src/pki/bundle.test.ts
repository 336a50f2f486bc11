import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { text } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { fromBufferPromise } from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleInput } from '../core/ports.js';
import type { ClusterPki } from '../core/types.js';
import { buildBundle, bundleFiles } from './bundle.js';

const run = promisify(execFile);

const pki: ClusterPki = {
  caCert: 'CA-CERT\n',
  caKey: 'CA-KEY-SECRET\n',
  serverCert: 'SERVER-CERT\n',
  serverKey: 'SERVER-KEY-SECRET\n',
  clientCert: 'CLIENT-CERT\n',
  clientKey: 'CLIENT-KEY\n',
  clientSerial: '4a',
};
const input: BundleInput = { pki, clusterName: 'web_prod', host: '203.0.113.7', port: 2376 };
const NAMES = ['README.md', 'ca.pem', 'cert.pem', 'docker.cmd', 'docker.env', 'docker.fish', 'docker.ps1', 'key.pem'];

interface Unzipped { content: string; mode: number }

async function unzip(zip: Buffer): Promise<Map<string, Unzipped>> {
  const zipfile = await fromBufferPromise(zip, { lazyEntries: true });
  const out = new Map<string, Unzipped>();
  for await (const entry of zipfile.eachEntry()) {
    const content = await text(await zipfile.openReadStreamPromise(entry));
    out.set(entry.fileName, { content, mode: (entry.externalFileAttributes >>> 16) & 0o777 });
  }
  return out;
}

describe('bundleFiles', () => {
  const files = bundleFiles(input);

  it('holds the CA, the client credentials and the shell snippets, and no CA or server key', () => {
    expect(Object.keys(files).sort()).toEqual(NAMES);
    expect(files['ca.pem']?.content).toBe(pki.caCert);
    expect(files['cert.pem']?.content).toBe(pki.clientCert);
    expect(files['key.pem']).toEqual({ content: pki.clientKey, mode: 0o600 });
    for (const file of Object.values(files)) {
      expect(file.content).not.toContain('SECRET');
    }
  });

  it('writes the endpoint into every shell flavour', () => {
    expect(files['docker.env']?.content).toContain("export DOCKER_HOST='tcp://203.0.113.7:2376'");
    expect(files['docker.fish']?.content).toContain("set -gx DOCKER_HOST 'tcp://203.0.113.7:2376'");
    expect(files['docker.fish']?.content).toContain('(status --current-filename)');
    expect(files['docker.ps1']?.content).toContain("$env:DOCKER_HOST = 'tcp://203.0.113.7:2376'\r\n");
    expect(files['docker.ps1']?.content).toContain('$env:DOCKER_CERT_PATH = $PSScriptRoot');
    expect(files['docker.cmd']?.content).toContain('set "DOCKER_HOST=tcp://203.0.113.7:2376"\r\n');
    expect(files['docker.cmd']?.content).toContain('set "DOCKER_CERT_PATH=%~dp0"');
    expect(files['README.md']?.content).toContain('eval $(carina env web_prod)');
  });

  it("names the account's registry and how to log in to it, only when there is one", () => {
    const readme = bundleFiles({ ...input, registry: { address: '203.0.113.7:5443', namespace: 'alice' } })['README.md']?.content ?? '';
    expect(readme).toContain('docker push 203.0.113.7:5443/alice/app:1');
    expect(readme).toContain('carina registry login');
    expect(readme).toContain('/etc/docker/certs.d/203.0.113.7:5443/ca.crt');
    expect(files['README.md']?.content).not.toContain('registry');
  });

  it('brackets IPv6 hosts', () => {
    expect(bundleFiles({ ...input, host: 'fd00::1' })['docker.env']?.content).toContain("'tcp://[fd00::1]:2376'");
  });
});

describe('buildBundle', () => {
  let dir = '';
  let entries = new Map<string, Unzipped>();
  beforeAll(async () => {
    entries = await unzip(await buildBundle(input));
    // A space in the path proves the scripts quote it.
    dir = await realpath(await mkdtemp(join(tmpdir(), 'carina bundle ')));
    for (const [name, entry] of entries) {
      await writeFile(join(dir, name), entry.content);
      await chmod(join(dir, name), entry.mode);
    }
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('zips every file, key.pem with mode 0600', async () => {
    expect([...entries.keys()].sort()).toEqual(NAMES);
    expect(entries.get('key.pem')).toEqual({ content: pki.clientKey, mode: 0o600 });
    expect(entries.get('ca.pem')?.mode).toBe(0o644);
    expect((await stat(join(dir, 'key.pem'))).mode & 0o777).toBe(0o600);
  });

  const probe = 'echo "$DOCKER_HOST|$DOCKER_CERT_PATH|$DOCKER_TLS_VERIFY|$CARINA_CLUSTER_NAME"';
  const expected = () => `tcp://203.0.113.7:2376|${dir}|1|web_prod\n`;

  it('docker.env sourced by bash with set -u points at the bundle directory', async () => {
    const { stdout } = await run('bash', ['-c', `set -u; source "$1"; ${probe}`, 'bash', join(dir, 'docker.env')], { cwd: '/' });
    expect(stdout).toBe(expected());
  });

  it('docker.env works when sourced by a relative path and leaves no helper variables', async () => {
    const script = `set -u; source "./$1/docker.env"; ${probe}; echo "\${_carina_dir-unset}"`;
    const { stdout } = await run('bash', ['-c', script, 'bash', basename(dir)], { cwd: dirname(dir) });
    expect(stdout).toBe(`${expected()}unset\n`);
    const here = await run('bash', ['-c', `set -u; source docker.env; ${probe}`], { cwd: dir });
    expect(here.stdout).toBe(expected());
  });

  it('docker.env falls back to $PWD in a plain POSIX sh', async () => {
    const { stdout } = await run('sh', ['-c', `set -u; . ./docker.env; ${probe}`], { cwd: dir });
    expect(stdout).toBe(expected());
  });

  const zsh = ['/usr/bin/zsh', '/bin/zsh'].find((p) => existsSync(p));
  it.skipIf(!zsh)('docker.env sourced by zsh with set -u points at the bundle directory', async () => {
    const { stdout } = await run(zsh ?? 'zsh', ['-c', `set -u; source "$1"; ${probe}`, 'zsh', join(dir, 'docker.env')], { cwd: '/' });
    expect(stdout).toBe(expected());
  });

  const fish = ['/usr/bin/fish', '/usr/local/bin/fish'].find((p) => existsSync(p));
  it.skipIf(!fish)('docker.fish sourced by fish points at the bundle directory', async () => {
    const script = `source $argv[1]; echo "$DOCKER_HOST|$DOCKER_CERT_PATH|$DOCKER_TLS_VERIFY|$CARINA_CLUSTER_NAME"`;
    const { stdout } = await run(fish ?? 'fish', ['-c', script, join(dir, 'docker.fish')], { cwd: '/' });
    expect(stdout).toBe(expected());
  });
});
