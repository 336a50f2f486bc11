import { describe, expect, it } from 'vitest';
import { caHref, registryLines, shortDigest, usedPercent } from './registry';

describe('registry lines', () => {
  it('fills in the address, username and namespace, never a key', () => {
    const lines = registryLines({ address: '127.0.0.1:5000', namespace: 'alice' }, 'alice');
    expect(lines.login).toBe('docker login 127.0.0.1:5000 -u alice -p <your API key>');
    expect(lines.loginStdin).toBe(`printf '%s' "$CARINA_APIKEY" | docker login 127.0.0.1:5000 -u alice --password-stdin`);
    expect(lines.push).toBe('docker tag app 127.0.0.1:5000/alice/app:1\ndocker push 127.0.0.1:5000/alice/app:1');
    expect(lines.certsFile).toBe('/etc/docker/certs.d/127.0.0.1:5000/ca.crt');
    expect(lines.trust).toBe('sudo install -d -m 0755 /etc/docker/certs.d/127.0.0.1:5000\nsudo install -m 0644 ca.pem /etc/docker/certs.d/127.0.0.1:5000/ca.crt');
  });

  it('downloads the CA as a file, shortens digests and rounds the percentage', () => {
    expect(decodeURIComponent(caHref('-----BEGIN CERTIFICATE-----\nAB+/=\n').split(',')[1] ?? '')).toBe('-----BEGIN CERTIFICATE-----\nAB+/=\n');
    expect(caHref('x')).toMatch(/^data:application\/x-pem-file;charset=utf-8,/);
    expect(shortDigest(`sha256:${'0123456789abcdef'.repeat(4)}`)).toBe('sha256:0123456789ab');
    expect([usedPercent(0, 10), usedPercent(1, 1000), usedPercent(300, 1024), usedPercent(1, 0)]).toEqual(['0', '<1', '29', '0']);
  });

});
