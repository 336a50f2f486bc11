import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterPki } from '../core/types.js';
import { bundleFiles } from './bundle.js';
import { X509Pki } from './x509-pki.js';

// The real Docker CLI (Go crypto/tls) against a fake Engine API served with
// the cluster's server certificate: proves Go accepts the CA, the server
// certificate for DOCKER_HOST=tcp://127.0.0.1 and presents the client one.
const run = promisify(execFile);
const docker = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'docker')).find((p) => existsSync(p));

const subject = { clusterId: 'c-1', clusterName: 'web', accountName: 'alice', dnsNames: ['web.alice.carina.local'], ipAddresses: [] };

describe.skipIf(!docker)('docker CLI over mutual TLS', () => {
  let pki: ClusterPki;
  let other: ClusterPki;
  let server: Server;
  let port = 0;
  let root = '';
  const peers: string[] = [];

  beforeAll(async () => {
    const issuer = new X509Pki();
    pki = await issuer.createClusterPki(subject);
    other = await issuer.createClusterPki({ ...subject, clusterId: 'c-2', clusterName: 'other' });
    server = createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      peers.push(String((req.socket as TLSSocket).getPeerCertificate().subject.CN));
      const headers = { 'Api-Version': '1.41', 'Ostype': 'linux', 'Content-Type': 'application/json' };
      if (req.url?.endsWith('/_ping')) return void res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : 'OK');
      if (req.url?.endsWith('/version')) {
        return void res.writeHead(200, headers).end(JSON.stringify({ Version: 'carina-fake', ApiVersion: '1.41', MinAPIVersion: '1.12', Os: 'linux', Arch: 'amd64' }));
      }
      res.writeHead(404, headers).end(JSON.stringify({ message: 'not found' }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    root = await realpath(await mkdtemp(join(tmpdir(), 'carina-docker-')));
  });
  afterAll(async () => {
    server.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function dockerVersion(bundle: ClusterPki, name: string): Promise<string> {
    const dir = join(root, name);
    await mkdir(dir);
    for (const [file, { content, mode }] of Object.entries(bundleFiles({ pki: bundle, clusterName: name, host: '127.0.0.1', port }))) {
      await writeFile(join(dir, file), content);
      await chmod(join(dir, file), mode);
    }
    const env = { PATH: process.env.PATH ?? '', HOME: root, DOCKER_CONFIG: join(root, '.docker') };
    const script = 'set -u; source "$1"; docker version --format "{{.Server.Version}}" 2>&1 || true';
    const { stdout } = await run('bash', ['-c', script, 'bash', join(dir, 'docker.env')], { env, timeout: 30_000 });
    return stdout.trim();
  }

  it('connects with the cluster bundle', async () => {
    expect(await dockerVersion(pki, 'web')).toBe('carina-fake');
    expect(peers).toContain('alice');
  });

  it('refuses the endpoint with another cluster bundle', async () => {
    peers.length = 0;
    expect(await dockerVersion(other, 'other')).toMatch(/x509: certificate signed by unknown authority/);
    expect(peers).toEqual([]);
  });

  it('is refused by the endpoint with another cluster client certificate', async () => {
    peers.length = 0;
    const out = await dockerVersion({ ...other, caCert: pki.caCert }, 'mixed');
    // Go offers no certificate the server's CA list accepts, so the server refuses the handshake.
    expect(out).toMatch(/remote error: tls/);
    expect(peers).toEqual([]);
  });
});
