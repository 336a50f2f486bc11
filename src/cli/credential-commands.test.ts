import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { apiError, FakeApi, runCarina } from './test-support/fake-api.js';
import { TEST_CA_PEM } from './test-support/test-ca.js';

/** A credentials bundle as the server sends it (the files env needs). */
async function bundleZip(): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const name of ['ca.pem', 'cert.pem', 'key.pem']) zip.addBuffer(Buffer.from(`${name}\n`), name);
  zip.addBuffer(Buffer.from("export DOCKER_HOST='tcp://127.0.0.1:23760'\n"), 'docker.env');
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const registry = { address: '127.0.0.1:5000', namespace: 'alice', quota_bytes: 1, used_bytes: 0, ca_pem: TEST_CA_PEM };

describe('carina env and the registry', () => {
  const api = new FakeApi();
  let dir = '';
  let env: Record<string, string> = {};

  beforeAll(async () => {
    await api.start();
    api.routes.set('GET /v1/clusters/demo/credentials', { status: 200, bytes: await bundleZip(), type: 'application/zip' });
  });
  afterAll(async () => {
    await api.stop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'carina-env-cli-'));
    env = { CARINA_ENDPOINT: api.url, CARINA_APIKEY: 'carina_0123456789abcdef_k', CARINA_USERNAME: 'alice', CARINA_HOME: dir };
    api.routes.delete('GET /v1/registry');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('adds a comment naming the registry when GET /v1/registry answers', async () => {
    api.routes.set('GET /v1/registry', { status: 200, json: registry });
    const r = await runCarina(['env', 'demo', '--shell', 'bash'], env);
    expect(r.code, r.line).toBe(0);
    expect(r.out.split('\n').at(-2)).toBe('# registry: 127.0.0.1:5000 (carina registry login)');
    const fish = await runCarina(['env', 'demo', '--shell', 'fish'], env);
    expect(fish.out).toContain('\n# registry: 127.0.0.1:5000 (carina registry login)\n');
    expect(JSON.parse((await runCarina(['env', 'demo', '--json'], env)).out)).toMatchObject({ registry: '127.0.0.1:5000', docker_host: 'tcp://127.0.0.1:23760' });
  });

  it.each([
    ['no registry (503)', apiError(503, 'CARINA_ERR_REGISTRY_UNAVAILABLE', 'no registry')],
    ['a server without the route (404)', undefined],
    ['a server error', apiError(500, 'CARINA_ERR_INTERNAL', 'boom')],
    ['an address that could run in the eval', { status: 200, json: { ...registry, address: '127.0.0.1:5000\nrm -rf ~' } }],
  ])('prints no comment and no error with %s', async (_what, answer) => {
    if (answer) api.routes.set('GET /v1/registry', answer);
    const r = await runCarina(['env', 'demo', '--shell', 'bash'], env);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toBe(`source '${join(dir, 'clusters', 'alice', 'demo', 'docker.env')}'\n# Run this command to configure your shell: eval "$(carina env demo --shell bash)"\n`);
    expect(JSON.parse((await runCarina(['env', 'demo', '--json'], env)).out)).toMatchObject({ registry: null });
  });
});
