import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { X509Pki } from './x509-pki.js';

describe('X509Pki.issueClientCert (credential rotation)', () => {
  it('issues a new client certificate from the same CA, with a new key and serial', async () => {
    const issuer = new X509Pki();
    const pki = await issuer.createClusterPki({ clusterId: 'c', clusterName: 'web', accountName: 'alice', dnsNames: ['web.alice.carina.local'], ipAddresses: [] });
    const next = await issuer.issueClientCert(pki, 'alice');
    expect(next.clientSerial).toMatch(/^[0-9a-f]{32}$/);
    expect(next.clientSerial).not.toBe(pki.clientSerial);
    const cert = new X509Certificate(next.clientCert);
    expect(cert.subject).toBe('CN=alice');
    expect(cert.serialNumber.toLowerCase()).toBe(next.clientSerial);
    expect(cert.verify(new X509Certificate(pki.caCert).publicKey)).toBe(true);
    expect(cert.checkIssued(new X509Certificate(pki.caCert))).toBe(true);
    expect(cert.keyUsage ?? []).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    const publicOfKey = createPublicKey(createPrivateKey(next.clientKey)).export({ type: 'spki', format: 'der' });
    expect(cert.publicKey.export({ type: 'spki', format: 'der' }).equals(publicOfKey)).toBe(true);
    expect(next.clientKey).not.toBe(pki.clientKey);
  });
});
