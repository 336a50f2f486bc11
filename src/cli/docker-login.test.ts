import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerLoginArgs, loginFailure, runDockerLogin, warningsOf } from './docker-login.js';
import { FakeDocker } from './test-support/fake-docker.js';

describe('docker login', () => {
  let docker: FakeDocker;
  beforeAll(async () => {
    docker = await FakeDocker.create();
  });
  afterAll(async () => {
    await docker.cleanup();
  });
  const env = () => ({ PATH: `${docker.dir}:/usr/bin:/bin` });

  it('runs the real client with the key on stdin, never in its arguments', async () => {
    await docker.behave(0, 'WARNING! Your password will be stored unencrypted in /h/.docker/config.json.\nConfigure a credential helper to remove this warning.\n');
    const outcome = await runDockerLogin({ address: 'r.example:5000', username: 'alice', password: 'carina_secret_key', env: env(), dockerConfig: '/tmp/dc' });
    expect(outcome).toEqual({ kind: 'ok', warnings: ['Your password will be stored unencrypted in /h/.docker/config.json. Configure a credential helper to remove this warning.'] });
    const got = await docker.received();
    expect(got).toEqual({ args: ['login', 'r.example:5000', '--username', 'alice', '--password-stdin'], stdin: 'carina_secret_key', dockerConfig: '/tmp/dc' });
    expect(got?.args.join(' ')).not.toContain('carina_secret_key');
  });

  it("passes DOCKER_CONFIG through from the environment when --docker-config is absent", async () => {
    await docker.behave(0, '');
    await runDockerLogin({ address: 'r:5000', username: 'alice', password: 'k', env: { ...env(), DOCKER_CONFIG: '/from/env' } });
    expect((await docker.received())?.dockerConfig).toBe('/from/env');
    await runDockerLogin({ address: 'r:5000', username: 'alice', password: 'k', env: env() });
    expect((await docker.received())?.dockerConfig).toBe('unset');
  });

  it("reports docker's failure and a missing client", async () => {
    await docker.behave(1, 'Error response from daemon: Get "https://r:5000/v2/": x509: certificate signed by unknown authority\n');
    const failed = await runDockerLogin({ address: 'r:5000', username: 'alice', password: 'k', env: env() });
    expect(failed).toMatchObject({ kind: 'failed', exitCode: 1 });
    expect(await runDockerLogin({ address: 'r:5000', username: 'alice', password: 'k', env: { PATH: '/nonexistent' } })).toEqual({ kind: 'missing' });
  });

  it('says in one line why, with what to do', () => {
    const x509 = { kind: 'failed', exitCode: 1, stderr: 'WARNING! x\nError response from daemon: Get "https://r:5000/v2/": x509: certificate signed by unknown authority\n' } as const;
    expect(loginFailure('r:5000', x509, true).message).toBe(
      `docker login r:5000 failed: Error response from daemon: Get "https://r:5000/v2/": x509: certificate signed by unknown authority: the docker daemon does not trust the registry's CA yet; run the commands above, then "carina registry login" again`,
    );
    expect(loginFailure('r:5000', x509, false).message).toMatch(/does not trust the registry's CA \(a daemon on another machine, DOCKER_HOST, reads its own certs.d\)$/);
    const denied = loginFailure('r:5000', { kind: 'failed', exitCode: 1, stderr: 'Error response from daemon: login attempt to https://r:5000/v2/ failed with status: 401 Unauthorized\n' }, false);
    expect([denied.code, denied.exitCode, denied.message]).toEqual(['CARINA_ERR_LOCAL', 1, 'docker login r:5000 failed: Error response from daemon: login attempt to https://r:5000/v2/ failed with status: 401 Unauthorized']);
    expect(loginFailure('r:5000', { kind: 'failed', exitCode: 125, stderr: '' }, false).message).toBe('docker login r:5000 failed: docker exited with 125');
    expect(loginFailure('r:5000', { kind: 'missing' }, false).message).toMatch(/^no docker client found on PATH: install docker, or run "carina registry login --no-docker"/);
    expect(loginFailure('r:5000', { kind: 'timeout' }, false).message).toMatch(/gave no answer within 60 s/);
  });

  it('keeps the argument vector free of secrets', () => {
    expect(dockerLoginArgs('r:5000', 'alice')).toEqual(['login', 'r:5000', '--username', 'alice', '--password-stdin']);
    expect(warningsOf('')).toEqual([]);
  });
});
