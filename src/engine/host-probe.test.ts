import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { connectionFailure, probeHost } from './host-probe.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('connectionFailure: why a host engine could not be asked, in one line', () => {
  it.each([
    [coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:2376'), /^connection refused: nothing listens there \(is dockerd started with -H tcp:\/\/0\.0\.0\.0:2376/],
    [coded('ETIMEDOUT'), /^timed out connecting/],
    [coded('EHOSTUNREACH'), /^no route to the host/],
    [coded('ENOTFOUND'), /^the host name does not resolve$/],
    [coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), /^TLS verification failed: the engine's certificate is not signed by the CA in ca\.pem \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/],
    [coded('SELF_SIGNED_CERT_IN_CHAIN'), /^TLS verification failed: the engine's certificate is not signed by the CA in ca\.pem/],
    [coded('CERT_HAS_EXPIRED'), /^TLS verification failed: the engine's certificate is expired/],
    [coded('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), /^TLS verification failed: the engine's certificate does not name this address/],
    [coded('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), /^TLS verification failed: the engine refused the client certificate cert\.pem/],
    [coded('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), /^TLS verification failed: the engine refused the client certificate cert\.pem/],
    [coded('ERR_SSL_WRONG_VERSION_NUMBER'), /^the engine does not speak TLS there/],
    [coded('ERR_OSSL_X509_KEY_VALUES_MISMATCH'), /^cert\.pem and key\.pem do not match$/],
    [coded('ECONNRESET', 'socket hang up'), /^the connection was closed \(socket hang up\): is it a Docker engine serving TLS\?$/],
    [Object.assign(new Error('(HTTP code 500) server error'), { statusCode: 500, json: { message: 'boom' } }), /^the engine answered HTTP 500: boom$/],
    [new Error('something else\nwith a stack'), /^something else$/],
  ])('%s', (err, wording) => {
    expect(connectionFailure(err)).toMatch(wording);
  });
});

describe('probeHost', () => {
  const fake = (behaviour: Partial<Record<'ping' | 'info', () => Promise<unknown>>>) =>
    ({ ping: behaviour.ping ?? (() => Promise.resolve('OK')), info: behaviour.info ?? (() => Promise.resolve({})) }) as unknown as Dockerode;

  it('reads CPUs, memory and version from info', async () => {
    const docker = fake({ info: () => Promise.resolve({ NCPU: 4, MemTotal: 8e9, ServerVersion: '26.1.5' }) });
    expect(await probeHost(docker)).toEqual({ ok: true, facts: { cpus: 4, memoryBytes: 8e9, version: '26.1.5', remappedRoot: undefined } });
  });

  it("reads the host user an engine with --userns-remap maps containers' root to", async () => {
    const info = { NCPU: 2, MemTotal: 4e9, ServerVersion: '20.10.24', SecurityOptions: ['name=seccomp,profile=default', 'name=userns'], DockerRootDir: '/var/lib/docker/100000.100000' };
    expect(await probeHost(fake({ info: () => Promise.resolve(info) }))).toMatchObject({ ok: true, facts: { remappedRoot: { uid: 100000, gid: 100000 } } });
  });

  it('says why the ping failed', async () => {
    expect(await probeHost(fake({ ping: () => Promise.reject(coded('ECONNREFUSED')) }))).toEqual({ ok: false, cause: expect.stringMatching(/^connection refused/) as unknown });
  });

  it('gives up at the deadline with a timeout, however long the engine would take', async () => {
    const started = Date.now();
    const outcome = await probeHost(fake({ info: () => new Promise(() => undefined) }), 50);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(outcome).toEqual({ ok: false, cause: 'timed out: no answer within 0.05 s (a firewall dropping packets to the port, or the wrong address?)' });
  });

  it('refuses an engine that reports no CPUs or memory', async () => {
    const outcome = await probeHost(fake({ info: () => Promise.resolve({ NCPU: 0, MemTotal: 8e9 }) }));
    expect(outcome).toEqual({ ok: false, cause: 'the engine reports no CPUs or memory (NCPU 0, MemTotal 8000000000)' });
  });
});
