import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../api';
import { App } from '../app';
import { fakeApi, WithPortal } from '../test-support';
import type { RegistryInfo, RepositoryList } from '../types';
import { RegistryPage, RegistryView } from './registry-page';

const MiB = 1024 ** 2;
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const info: RegistryInfo = { address: '127.0.0.1:5000', namespace: 'alice', quota_bytes: 1024 * MiB, used_bytes: 300 * MiB, ca_pem: CA };
const list: RepositoryList = {
  repositories: [
    { name: 'alice/web', tags: [], size_bytes: 0 },
    {
      name: 'alice/app',
      tags: [
        { name: '2', digest: `sha256:${'b'.repeat(64)}`, size_bytes: 5 * MiB },
        { name: '1', digest: `sha256:${'a'.repeat(64)}`, size_bytes: 12 * MiB },
      ],
      size_bytes: 14 * MiB,
    },
  ],
  used_bytes: 300 * MiB,
  quota_bytes: 1024 * MiB,
};

function show(api = fakeApi(), flash = vi.fn(), onChanged = vi.fn()) {
  render(
    <WithPortal api={api} flash={flash}>
      <RegistryView info={info} list={list} onChanged={onChanged} />
    </WithPortal>,
  );
  return { api, flash, onChanged };
}

/** A get that answers the registry routes (and rejects the rest as the fake does). */
const registryGet = (answers: Partial<Record<string, () => Promise<unknown>>>) =>
  vi.fn((path: string) => answers[path]?.() ?? Promise.reject(new ApiError(404, 'CARINA_ERR_NOT_FOUND', 'no such endpoint'))) as unknown as Api['get'];

describe('registry page', () => {
  it('gives the address, the docker login line with the username and a key placeholder, and how to push', () => {
    show();
    expect(screen.getByTestId('registry-address').textContent).toBe('127.0.0.1:5000');
    expect(screen.getByLabelText('docker login line').textContent).toBe('docker login 127.0.0.1:5000 -u alice -p <your API key>');
    expect(screen.getByLabelText('Lines to tag and push an image').textContent).toContain('docker push 127.0.0.1:5000/alice/app:1');
  });

  it('offers the CA as ca.pem and says where the daemon reads it', () => {
    show();
    const link = screen.getByRole('link', { name: 'Download ca.pem' });
    expect(link.getAttribute('download')).toBe('ca.pem');
    expect(decodeURIComponent(link.getAttribute('href')?.split(',')[1] ?? '')).toBe(CA);
    expect(screen.getAllByText('/etc/docker/certs.d/127.0.0.1:5000/ca.crt').length).toBeGreaterThan(0);
    expect(screen.getByLabelText('Commands to install the CA (as root, where you saved ca.pem)').textContent).toContain('sudo install -m 0644 ca.pem /etc/docker/certs.d/127.0.0.1:5000/ca.crt');
  });

  it('shows usage against the quota as a bar', () => {
    show();
    const meter = screen.getByRole('meter', { name: 'Registry storage used' });
    expect([meter.getAttribute('value'), meter.getAttribute('max')]).toEqual([String(300 * MiB), String(1024 * MiB)]);
    expect(screen.getByTestId('registry-usage').textContent).toBe('300 MiB of 1 GiB used (29 %)');
  });

  it('lists every tag with its short digest and size, sorted; an empty repository has no delete button', () => {
    show();
    const rows = within(screen.getByRole('table', { name: 'Repositories and tags' })).getAllByRole('row');
    expect(rows.slice(1).map((r) => r.getAttribute('data-tag'))).toEqual(['alice/app:1', 'alice/app:2', 'alice/web']);
    expect(rows[1]?.textContent).toContain('sha256:aaaaaaaaaaaa');
    expect(rows[1]?.textContent).toContain('12 MiB');
    expect(within(rows[1] as HTMLElement).getByTitle(`sha256:${'a'.repeat(64)}`)).toBeTruthy();
    expect(rows[3]?.textContent).toContain('no tags');
    expect(within(rows[3] as HTMLElement).queryByRole('button')).toBeNull();
  });

  it('deletes a tag only after confirmation (send adds the CSRF token), then refreshes', async () => {
    const { api, flash, onChanged } = show();
    fireEvent.click(screen.getByRole('button', { name: 'Delete alice/app:1…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete alice/app:1?' });
    expect(dialog.textContent).toContain('127.0.0.1:5000/alice/app:1 will no longer pull');
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(api.send).not.toHaveBeenCalled();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete tag' }));
    await waitFor(() => expect(api.send).toHaveBeenCalledWith('DELETE', '/v1/registry/repositories/alice%2Fapp/tags/1'));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(flash).toHaveBeenCalledWith('Deleted alice/app:1.');
    expect(onChanged).toHaveBeenCalled();
  });

  it("keeps the dialog open with the server's message when the delete fails", async () => {
    const api = fakeApi({ send: vi.fn(() => Promise.reject(new ApiError(404, 'CARINA_ERR_NOT_FOUND', 'no tag 1 in alice/app'))) });
    const { onChanged } = show(api);
    fireEvent.click(screen.getByRole('button', { name: 'Delete alice/app:2…' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete tag' }));
    expect(await within(screen.getByRole('dialog')).findByText('No tag 1 in alice/app.')).toBeTruthy();
    expect(onChanged).not.toHaveBeenCalled();
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('registry page data states', () => {
  const render503 = (code: string, status: number) => {
    const get = registryGet({
      '/v1/registry': () => Promise.reject(new ApiError(status, code, 'this server runs no registry')),
      '/v1/registry/repositories': () => Promise.reject(new ApiError(status, code, 'this server runs no registry')),
    });
    render(
      <WithPortal api={fakeApi({ get })}>
        <RegistryPage />
      </WithPortal>,
    );
  };

  it('says the server runs no registry on 503 REGISTRY_UNAVAILABLE (and on a server without the route)', async () => {
    render503('CARINA_ERR_REGISTRY_UNAVAILABLE', 503);
    expect(await screen.findByRole('heading', { name: 'No registry on this server' })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says so for an older server too', async () => {
    render503('CARINA_ERR_NOT_FOUND', 404);
    expect(await screen.findByRole('heading', { name: 'No registry on this server' })).toBeTruthy();
  });

  it('loads the registry and its repositories', async () => {
    const get = registryGet({ '/v1/registry': () => Promise.resolve(info), '/v1/registry/repositories': () => Promise.resolve(list) });
    render(
      <WithPortal api={fakeApi({ get })}>
        <RegistryPage />
      </WithPortal>,
    );
    expect(screen.getByRole('status').textContent).toContain('Loading your registry');
    expect(await screen.findByTestId('registry-address')).toBeTruthy();
  });

  it('shows an error with Try again when the load fails otherwise', async () => {
    const get = registryGet({ '/v1/registry': () => Promise.reject(new ApiError(500, 'CARINA_ERR_INTERNAL', 'boom')) });
    render(
      <WithPortal api={fakeApi({ get })}>
        <RegistryPage />
      </WithPortal>,
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Your registry could not be loaded.');
    expect(alert.textContent).toContain('CARINA_ERR_INTERNAL');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

describe('the portal links the Registry page', () => {
  afterEach(() => history.replaceState(null, '', '/'));

  it('has a Registry link in the navigation that opens the page at /registry', async () => {
    const get = registryGet({ '/v1/registry': () => Promise.resolve(info), '/v1/registry/repositories': () => Promise.resolve(list), '/v1/clusters': () => Promise.resolve({ clusters: [], next: null }), '/v1/quotas': () => Promise.resolve({ max_clusters: 3, max_nodes_per_cluster: 5, clusters: 0 }) });
    const api = fakeApi({ get, whoAmI: vi.fn(() => Promise.resolve({ username: 'alice', csrf_token: 't', expires_at: '' })) });
    render(<App api={api} />);
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    fireEvent.click(within(nav).getByRole('link', { name: 'Registry' }));
    expect(window.location.pathname).toBe('/registry');
    expect(await screen.findByRole('heading', { name: 'Registry', level: 1 })).toBeTruthy();
    await waitFor(() => expect(document.title).toBe('Registry · Carina'));
  });
});
