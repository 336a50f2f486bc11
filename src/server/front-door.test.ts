import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { API_CA_FILE, openFrontDoor, serverNames } from './front-door.js';

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'carina-front-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const key = randomBytes(32);

describe('the front door (how the API is served)', () => {
  it('serves plain HTTP on loopback, and says nothing', async () => {
    const lines: string[] = [];
    const door = await openFrontDoor(loadConfig({ CARINA_DATA_DIR: dataDir(), CARINA_LISTEN: '127.0.0.1:8080' }), key, (l) => lines.push(l));
    expect({ scheme: door.scheme, lines }).toEqual({ scheme: 'http', lines: [] });
  });

  it('serves plain HTTP elsewhere only when told to, with a warning at every start', async () => {
    const lines: string[] = [];
    const door = await openFrontDoor(loadConfig({ CARINA_DATA_DIR: dataDir(), CARINA_LISTEN: '0.0.0.0:8080', CARINA_INSECURE_HTTP: '1' }), key, (l) => lines.push(l));
    expect(door.scheme).toBe('http');
    expect(lines.join('\n')).toMatch(/^WARNING: .*plain HTTP.*clear text/);
  });

  it('issues its own certificate on a non-loopback address, from one CA that stays across restarts', async () => {
    const dir = dataDir();
    const config = loadConfig({ CARINA_DATA_DIR: dir, CARINA_LISTEN: '0.0.0.0:8443', CARINA_ADVERTISE_ADDRESS: '203.0.113.7' });
    const lines: string[] = [];
    const [first, racing] = await Promise.all([openFrontDoor(config, key, (l) => lines.push(l)), openFrontDoor(config, key, () => undefined)]);
    const again = await openFrontDoor(config, key, () => undefined);
    const ca = new X509Certificate(readFileSync(join(dir, API_CA_FILE)));
    for (const door of [first, racing, again]) {
      const cert = new X509Certificate(door.tls?.cert ?? '');
      expect(door.scheme).toBe('https');
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.subjectAltName).toContain('IP Address:203.0.113.7');
      expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    }
    expect(lines.join('\n')).toContain(ca.fingerprint256);
    expect(statSync(join(dir, API_CA_FILE)).mode & 0o077).toBe(0);
    // The CA's key is sealed: a copy of the data dir alone does not hold it in clear.
    expect(readFileSync(join(dir, 'api-ca.sealed.json'), 'utf8')).not.toContain('PRIVATE KEY');
    await expect(openFrontDoor(config, randomBytes(32), () => undefined)).rejects.toThrow();
  });

  it("serves the operator's files, and reads them again on reload", async () => {
    const dir = dataDir();
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    writeFileSync(certFile, 'CERT 1');
    writeFileSync(keyFile, 'KEY 1');
    const door = await openFrontDoor(loadConfig({ CARINA_DATA_DIR: dir, CARINA_LISTEN: '0.0.0.0:443', CARINA_TLS_CERT: certFile, CARINA_TLS_KEY: keyFile }), key, () => undefined);
    expect({ scheme: door.scheme, tls: door.tls, watched: door.watched }).toEqual({ scheme: 'https', tls: { cert: 'CERT 1', key: 'KEY 1' }, watched: [certFile, keyFile] });
    writeFileSync(certFile, 'CERT 2');
    expect(await door.reload?.()).toEqual({ cert: 'CERT 2', key: 'KEY 1' });
  });

  it('names the listen address, the advertised one and this host', () => {
    const names = serverNames({ listenHost: '10.0.0.5', advertiseAddress: 'api.example.com' });
    expect(names.ipAddresses).toEqual(['10.0.0.5']);
    expect(names.dnsNames).toContain('api.example.com');
    expect(names.dnsNames).toContain('localhost');
  });
});

describe('front-door settings', () => {
  it.each([
    [{ CARINA_TLS_CERT: '/x.pem' }, /go together/],
    [{ CARINA_LISTEN: '0.0.0.0:80', CARINA_INSECURE_HTTP: 'yes' }, /must be 1/],
    [{ CARINA_TRUST_PROXY: 'true' }, /never "trust everyone"/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig({ CARINA_DATA_DIR: '/tmp/x', ...env })).toThrow(message);
  });

  it('keeps loopback on HTTP, and lists trusted proxies', () => {
    expect(loadConfig({ CARINA_LISTEN: '[::1]:8080' }).frontDoor).toEqual({ kind: 'http', insecure: false });
    expect(loadConfig({ CARINA_LISTEN: '127.0.0.2:8080' }).frontDoor.kind).toBe('http');
    expect(loadConfig({ CARINA_LISTEN: '192.0.2.1:8080' }).frontDoor.kind).toBe('self-issued');
    expect(loadConfig({ CARINA_TRUST_PROXY: '10.0.0.1, 10.1.0.0/16' }).trustProxy).toEqual(['10.0.0.1', '10.1.0.0/16']);
  });
});
