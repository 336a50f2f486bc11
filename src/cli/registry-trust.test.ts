import { describe, expect, it } from 'vitest';
import { caCertificates, checkRegistryAddress, isRegistryAddress, planTrust, samePem, trustCommands, type TrustFacts } from './registry-trust.js';
import { TEST_CA_PEM } from './test-support/test-ca.js';

const facts = (over: Partial<TrustFacts> = {}): TrustFacts => ({
  certsRoot: '/etc/docker/certs.d',
  address: '203.0.113.7:5000',
  ca: TEST_CA_PEM,
  existing: undefined,
  canWrite: true,
  savedCa: '/home/u/.carina/registry/203.0.113.7:5000/ca.crt',
  printOnly: false,
  ...over,
});

describe('the registry address from the server', () => {
  it.each(['203.0.113.7:5000', 'registry.example.com:443', 'localhost:5000', 'registry', '[::1]:5000', 'a-b.c:1'])('accepts %s', (a) => {
    expect(isRegistryAddress(a)).toBe(true);
  });

  it.each(['', '../../etc:5000', 'a/b:5000', 'host:0', 'host:65536', 'host:5000\necho pwned', 'host;rm -rf /', '-host:5000', 'host :5000', 'host:5000/'])(
    'refuses %j (it names a directory written as root and lands in shell lines)',
    (a) => {
      expect(isRegistryAddress(a)).toBe(false);
      expect(() => checkRegistryAddress(a, 'http://api')).toThrow(/http:\/\/api gave a registry address that is not HOST:PORT/);
    },
  );
});

describe("the registry's CA", () => {
  it('keeps only certificates, re-serialised from what parsed', () => {
    expect(caCertificates(TEST_CA_PEM)).toBe(TEST_CA_PEM);
    expect(caCertificates(TEST_CA_PEM.replaceAll('\n', '\r\n'))).toBe(TEST_CA_PEM);
    expect(caCertificates(`${TEST_CA_PEM}\n${TEST_CA_PEM}`)).toBe(`${TEST_CA_PEM}${TEST_CA_PEM}`);
  });

  it('refuses anything else', () => {
    expect(caCertificates('')).toBeUndefined();
    expect(caCertificates('not a pem')).toBeUndefined();
    expect(caCertificates(`${TEST_CA_PEM}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`)).toBeUndefined();
    expect(caCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toBeUndefined();
  });

  it('compares PEM text whatever the line endings', () => {
    expect(samePem(TEST_CA_PEM, TEST_CA_PEM.replaceAll('\n', '\r\n') + '\n\n')).toBe(true);
    expect(samePem(TEST_CA_PEM, TEST_CA_PEM.replace('MIIB', 'MIIC'))).toBe(false);
  });
});

describe('where the CA goes: certs.d decision', () => {
  const dir = '/etc/docker/certs.d/203.0.113.7:5000';
  const file = `${dir}/ca.crt`;
  const manual = trustCommands(dir, file, facts().savedCa);

  it.each<[string, Partial<TrustFacts>, ReturnType<typeof planTrust>]>([
    ['writable, nothing there: write it', {}, { kind: 'write', dir, file, replacing: false }],
    ['writable, another CA there: replace it', { existing: 'old' }, { kind: 'write', dir, file, replacing: true }],
    ['the same CA there: nothing to do', { existing: `${TEST_CA_PEM}\n` }, { kind: 'trusted', file }],
    ['the same CA, not writable: nothing to do', { existing: TEST_CA_PEM, canWrite: false }, { kind: 'trusted', file }],
    ['not writable: the user runs the commands', { canWrite: false }, { kind: 'manual', dir, file, commands: manual }],
    ['not writable, another CA there: the commands', { canWrite: false, existing: 'old' }, { kind: 'manual', dir, file, commands: manual }],
    ['--no-docker: only print, even when writable', { printOnly: true }, { kind: 'manual', dir, file, commands: manual }],
    ['--no-docker, already trusted: nothing to do', { printOnly: true, existing: TEST_CA_PEM }, { kind: 'trusted', file }],
    ['another certs.d', { certsRoot: '/home/u/.config/docker/certs.d' }, { kind: 'write', dir: '/home/u/.config/docker/certs.d/203.0.113.7:5000', file: '/home/u/.config/docker/certs.d/203.0.113.7:5000/ca.crt', replacing: false }],
  ])('%s', (_name, over, plan) => {
    expect(planTrust(facts(over))).toEqual(plan);
  });

  it('prints exact root commands: directory 0755, file 0644, paths quoted when needed', () => {
    expect(manual).toEqual([
      'sudo install -d -m 0755 /etc/docker/certs.d/203.0.113.7:5000',
      'sudo install -m 0644 /home/u/.carina/registry/203.0.113.7:5000/ca.crt /etc/docker/certs.d/203.0.113.7:5000/ca.crt',
    ]);
    expect(trustCommands('/d', '/d/ca.crt', "/home/o'k me/ca.crt")[1]).toBe(`sudo install -m 0644 '/home/o'\\''k me/ca.crt' /d/ca.crt`);
  });
});
