import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchBrowser, type TestBrowser } from './support/browser.js';
import { BrowserNetwork } from './support/browser-network.js';
import { extractBundle } from './support/docker-cli.js';
import { hostDocker, TestServer } from './support/server.js';

// The portal in a real browser (Debian's chromium) against a real carina-server and engine:
// sign in (a wrong key first), create a 1-node cluster, watch it become active without reloading,
// download the bundle, add a node (confirmed), see 2 Ready, delete (typing the name), see the
// registry with a pushed tag and delete it, sign out.
// Screenshots of each main page go to test-artifacts/portal/.
describe('portal (real browser, real server)', () => {
  let network: BrowserNetwork | undefined;
  let server: TestServer;
  let b: TestBrowser;
  let key = '';
  const name = 'web1';

  beforeAll(async () => {
    // Its own network namespace keeps the browser out of the engine's interface churn (browser-network.ts).
    network = await BrowserNetwork.create(CHROMIUM);
    server = new TestServer('portal', { host: network?.hostAddress, env: { CARINA_REGISTRY: 'on' } });
    await server.start();
    key = await server.createAccount('alice');
    // On the veth's address the server serves HTTPS with its own CA; the browser trusts that key only.
    const https = server.url.startsWith('https:');
    b = await launchBrowser({ network, secureOrigin: network && !https ? server.url : undefined, spkiPins: https ? [await server.spkiPin()] : [] });
  });
  afterAll(async () => {
    await b?.close();
    await server?.cleanup();
    await network?.remove();
  });

  it('serves the app with its security headers', async () => {
    const res = await b.page.goto(server.url);
    expect(res?.status()).toBe(200);
    const headers = res?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['x-frame-options']).toBe('DENY');
    if (server.url.startsWith('https:')) expect(headers['strict-transport-security']).toBe('max-age=31536000');
    await b.page.getByLabel('Username').waitFor();
  });

  it('says clearly when the API key is wrong', async () => {
    const { page } = b;
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('API key').fill(`${key.slice(0, -3)}xyz`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/username and API key don.t match/);
    await b.screenshot('01-sign-in-wrong-key');
  });

  it('signs in and shows the empty state with the quota', async () => {
    const { page } = b;
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'No clusters yet' }).waitFor();
    expect(await page.getByTestId('quota').textContent()).toContain('0 of 3 clusters');
    expect(await page.getByTestId('username').textContent()).toBe('alice');
    const cookies = await b.context.cookies(server.url);
    const session = cookies.find((c) => c.name === 'carina_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', secure: server.url.startsWith('https:') });
    expect(await page.evaluate('document.cookie')).toBe('');
    await b.screenshot('02-clusters-empty');
  });

  it('validates the create form inline, then creates a 1-node cluster', async () => {
    const { page } = b;
    await page.getByRole('link', { name: 'Create your first cluster' }).click();
    await page.getByLabel('Name').fill('1 bad name');
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.getByText('Start the name with a letter.').waitFor();
    expect(await page.getByRole('radio', { name: /4 GiB memory, 2 vCPU, 20 GB disk/ }).isChecked()).toBe(true);
    await b.screenshot('03-create-invalid-name');
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Nodes').fill('1');
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.getByRole('heading', { name: new RegExp(`^${name}`) }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/clusters/${name}`);
  });

  it('watches the cluster become active without reloading', async () => {
    const { page } = b;
    // A reload would drop this marker.
    await page.evaluate("window.carinaMarker = 'still here'");
    const started = Date.now();
    await page.locator('.cluster-title [data-status="active"]').waitFor({ timeout: 240_000 });
    console.log(`portal: create → active seen in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await page.getByTestId('ready').textContent()).toBe('1 / 1 Ready');
    expect(await page.evaluate('window.carinaMarker')).toBe('still here');
    expect(await page.getByRole('table', { name: 'Nodes' }).getByRole('row').count()).toBe(2);
    await page.getByRole('list', { name: 'Events, newest first' }).getByText('active', { exact: true }).first().waitFor();
    await b.screenshot('04-cluster-active');
  });

  it('downloads the credentials zip with every entry', async () => {
    const { page } = b;
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Download ${name}.zip` }).click()]);
    expect(download.suggestedFilename()).toBe(`${name}.zip`);
    const path = await download.path();
    const bundle = await extractBundle(readFileSync(path));
    expect(bundle.entries.sort()).toEqual(['README.md', 'ca.pem', 'cert.pem', 'docker.cmd', 'docker.env', 'docker.fish', 'docker.ps1', 'key.pem']);
    expect(await page.getByLabel('Shell lines to use the zip', { exact: true }).textContent()).toBe(`unzip ${name}.zip -d ${name}\nsource ${name}/docker.env\ndocker node ls`);
  });

  it('adds a node after confirming the resulting count, and shows 2 Ready', async () => {
    const { page } = b;
    await page.getByLabel('Nodes to add').fill('1');
    await page.getByRole('button', { name: 'Add nodes…' }).click();
    const dialog = page.getByRole('dialog', { name: `Add 1 node to ${name}?` });
    expect(await dialog.textContent()).toContain('will go from 1 node to 2 nodes');
    await b.screenshot('05-add-node-confirm', { fullPage: false });
    await dialog.getByRole('button', { name: 'Add 1 node (2 in total)' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('ready').textContent(), { timeout: 120_000, interval: 250 }).toBe('2 / 2 Ready');
    await page.locator('.cluster-title [data-status="active"]').waitFor({ timeout: 120_000 });
    expect(await page.getByRole('table', { name: 'Nodes' }).getByRole('row').count()).toBe(3);
    // Usage figures (docker stats) may lag the status by a few seconds; the screenshot is nicer with them.
    await page.getByRole('row', { name: /worker/ }).filter({ hasNotText: '—' }).waitFor({ timeout: 8_000 }).catch(() => undefined);
    await b.screenshot('06-cluster-two-nodes');
  });

  it('lists the cluster with Ready / wanted and quota usage, also on a narrow screen', async () => {
    const { page } = b;
    await page.getByRole('link', { name: '← Clusters' }).click();
    const row = page.getByRole('row', { name: new RegExp(name) });
    await expect.poll(() => row.getByTestId('nodes').textContent()).toBe('2 / 2 Ready');
    expect(await row.getByTestId('status').textContent()).toContain('Active');
    expect(await page.getByTestId('quota').textContent()).toContain('1 of 3 clusters');
    await b.screenshot('07-clusters-list');
    await page.setViewportSize({ width: 390, height: 844 });
    await b.screenshot('08-clusters-list-narrow');
    await row.getByRole('link', { name }).click();
    await page.getByRole('heading', { name: 'Get access' }).waitFor();
    await b.screenshot('09-cluster-narrow');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('deletes the cluster after its name is typed', async () => {
    const { page } = b;
    await page.getByRole('button', { name: 'Delete cluster…' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete ${name}?` });
    const confirm = dialog.getByRole('button', { name: 'Delete this cluster' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/to confirm/).fill(name);
    await b.screenshot('10-delete-confirm', { fullPage: false });
    await confirm.click();
    await page.getByText(`Cluster "${name}" is being deleted.`).waitFor();
    await page.getByRole('heading', { name: 'No clusters yet' }).waitFor({ timeout: 60_000 });
  });

  it('shows the registry: address, login line, a pushed tag, and deletes it after confirming', async () => {
    const { page } = b;
    // alice pushes one image with the real docker client (her daemon trusts the registry's CA).
    const info = (await (await server.fetch(`${server.url}/v1/registry`, { headers: { authorization: `Bearer ${key}` } })).json()) as { address: string; ca_pem: string };
    mkdirSync(`/etc/docker/certs.d/${info.address}`, { recursive: true });
    writeFileSync(`/etc/docker/certs.d/${info.address}/ca.crt`, info.ca_pem);
    const base = (await hostDocker.listImages({ filters: { reference: ['carina/busybox'] } })).flatMap((i) => i.RepoTags ?? []).find((t) => t.startsWith('carina/busybox:')) ?? '';
    const dockerConfig = mkdtempSync(join(tmpdir(), 'carina-portal-docker-'));
    const docker = (args: string[], input?: string) => execFileSync('docker', ['--config', dockerConfig, ...args], { input, stdio: ['pipe', 'pipe', 'pipe'] });
    docker(['login', info.address, '-u', 'alice', '--password-stdin'], key);
    docker(['tag', base, `${info.address}/alice/app:1`]);
    docker(['push', `${info.address}/alice/app:1`]);
    docker(['rmi', `${info.address}/alice/app:1`]);
    rmSync(dockerConfig, { recursive: true, force: true });

    await page.getByRole('link', { name: 'Registry' }).click();
    await page.getByRole('heading', { name: 'Registry', level: 1 }).waitFor();
    expect(await page.getByTestId('registry-address').first().textContent()).toBe(info.address);
    await page.getByText(`docker login ${info.address}`).first().waitFor();
    const row = page.getByRole('row', { name: /alice\/app/ });
    await row.waitFor();
    await b.screenshot('11-registry');
    await row.getByRole('button', { name: 'Delete alice/app:1…' }).click();
    await page.getByRole('dialog', { name: 'Delete alice/app:1?' }).getByRole('button', { name: 'Delete tag' }).click();
    await page.getByText('Deleted alice/app:1.').waitFor();
    // The repository stays, with no tag left (its storage comes back at the next garbage collection).
    await page.getByRole('row', { name: /alice\/app/ }).getByText('no tags').waitFor();
  });

  it('signs out', async () => {
    const { page } = b;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    await b.screenshot('12-signed-out');
    expect((await b.context.cookies(server.url)).find((c) => c.name === 'carina_session')).toBeUndefined();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('ran without page errors or CSP violations', () => {
    expect(b.problems).toEqual([]);
  });
});
