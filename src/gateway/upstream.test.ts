import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Pki } from '../pki/x509-pki.js';
import { EngineLink, type Upstream } from './upstream.js';

// How the gateway reaches a manager engine on a registered host: mutual TLS, the engine's certificate
// checked against the address dialled (not the Host header the proxy sends), client certificate shown.
describe('EngineLink over mutual TLS', () => {
  const pki = new X509Pki();
  let server: https.Server;
  let port = 0;
  let client: { ca: string; cert: string; key: string };
  let otherCa = '';

  beforeAll(async () => {
    const ca = await pki.createCa('node engines');
    const serverCert = await pki.issueServerCert(ca, { dnsNames: [], ipAddresses: ['127.0.0.1'] });
    const issued = await pki.issueClientCert(ca, 'control plane');
    client = { ca: ca.caCert, cert: issued.clientCert, key: issued.clientKey };
    otherCa = (await pki.createCa('someone else')).caCert;
    server = https.createServer({ ca: ca.caCert, cert: serverCert.cert, key: serverCert.key, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      res.end(JSON.stringify({ host: req.headers.host, path: req.url }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (link: EngineLink) =>
    new Promise<string>((resolve, reject) => {
      const req = link.request({ path: '/v1.41/info', headers: { host: 'docker' } });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
  const at = (overrides: Partial<Extract<Upstream, { kind: 'tls' }>> = {}): Upstream => ({ kind: 'tls', host: '127.0.0.1', port, ...client, ...overrides });

  it('reaches the engine with the client certificate, whatever Host header the request carries', async () => {
    const link = new EngineLink(() => at());
    expect(JSON.parse(await get(link))).toEqual({ host: 'docker', path: '/v1.41/info' });
    link.destroy();
  });

  it('refuses an engine whose certificate is not from the expected CA', async () => {
    const link = new EngineLink(() => at({ ca: otherCa }));
    await expect(get(link)).rejects.toThrow(/certificate/i);
    link.destroy();
  });

  it('is refused by the engine without a client certificate of its CA', async () => {
    const stranger = await pki.issueClientCert(await pki.createCa('stranger'), 'tenant');
    const link = new EngineLink(() => at({ cert: stranger.clientCert, key: stranger.clientKey }));
    await expect(get(link)).rejects.toThrow();
    link.destroy();
  });

  it('fails as a refused connection while the manager has not been located', async () => {
    const link = new EngineLink(() => undefined);
    await expect(get(link)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
