import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../api';
import { cluster, fakeApi, WithPortal } from '../test-support';
import type { Cluster } from '../types';
import { parseUsage, parseUsageTotal } from '../usage';
import { ClusterPage, ClusterView, type ClusterData } from './cluster-page';

const quotas = { max_clusters: 3, max_nodes_per_cluster: 5, clusters: 1 };
const flavor = { name: 'container1-4G', memory_bytes: 4 * 1024 ** 3, memory: '4 GiB', vcpus: 2, disk_gb: 20 };

function show(c: Cluster, extra: Partial<ClusterData> = {}, api = fakeApi(), onChanged = vi.fn()) {
  const data: ClusterData = { cluster: c, events: [], usage: undefined, quotas, flavor, ...extra };
  render(
    <WithPortal api={api}>
      <ClusterView data={data} onChanged={onChanged} />
    </WithPortal>,
  );
  return { api, onChanged };
}

describe('cluster page', () => {
  it('shows status_reason prominently when in error', () => {
    show(cluster({ status: 'error', status_reason: 'create node 1: no space left on device (failed 5 times); rebuild the cluster to retry, or delete it' }));
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('This cluster stopped in error');
    expect(alert.textContent).toContain('no space left on device');
    expect(screen.getByRole('button', { name: 'Rebuild…' })).toHaveProperty('disabled', false);
    expect(screen.getByRole('button', { name: 'Add nodes…' })).toHaveProperty('disabled', true);
    expect(screen.getByText('Rebuild the cluster first: nodes can be added once it is active again.')).toBeTruthy();
  });

  it('says what Carina is doing while busy', () => {
    show(cluster({ status: 'building', nodes_ready: 0, node_details: [] }));
    expect(screen.getByText(/starting the nodes and forming the swarm/)).toBeTruthy();
    expect(screen.getByText(/No nodes yet/)).toBeTruthy();
    expect(screen.getByTestId('ready').textContent).toBe('0 / 2 Ready');
  });

  it('lists nodes with usage when reported, "—" otherwise', () => {
    const body = {
      nodes: [{ index: 0, capacity_cpus: 2, capacity_memory_bytes: 4 * 1024 ** 3, reserved_cpus: 0.5, used_cpus: 0.25, reserved_memory_bytes: 512 * 1024 ** 2, used_memory_bytes: 64 * 1024 ** 2 }],
      total: { capacity_cpus: 4, capacity_memory_bytes: 8 * 1024 ** 3, reserved_cpus: 0.5, reserved_memory_bytes: 512 * 1024 ** 2, used_cpus: null },
    };
    show(cluster({ autoscale: true }), { usage: { nodes: parseUsage(body), total: parseUsageTotal(body) } });
    const rows = within(screen.getByRole('table', { name: 'Nodes' })).getAllByRole('row');
    expect(rows[1]?.textContent).toContain('manager');
    expect(rows[1]?.textContent).toContain('172.18.0.2');
    expect(rows[1]?.textContent).toContain('Ready');
    expect(rows[1]?.textContent).toContain('0.5 / 0.25 of 2');
    expect(rows[1]?.textContent).toContain('512 MiB / 64 MiB of 4 GiB');
    expect(rows[2]?.textContent).toContain('—');
    expect(screen.getByTestId('reserved').textContent).toBe(
      'Reserved by services: 0.5 of 4 CPUs (13 %) and 512 MiB of 8 GiB memory (6 %). Autoscale adds a node when either reaches 80 %.',
    );
  });

  it('shows the event log with reasons, newest first', () => {
    const events = [
      { id: 1, time: new Date().toISOString(), type: 'created', message: 'cluster requested with 2 node(s)' },
      { id: 2, time: new Date().toISOString(), type: 'error', message: 'swarm join failed: timeout' },
    ];
    show(cluster(), { events });
    const items = within(screen.getByRole('list', { name: 'Events, newest first' })).getAllByRole('listitem');
    expect(items[0]?.textContent).toContain('swarm join failed: timeout');
    expect(items[1]?.textContent).toContain('created');
  });

  it('gives the exact shell lines to use the credentials', () => {
    show(cluster({ name: 'web' }));
    expect(screen.getByLabelText('Shell lines to use the zip').textContent).toBe('unzip web.zip -d web\nsource web/docker.env\ndocker node ls');
    expect(screen.getByLabelText('Shell lines for the carina CLI').textContent).toContain('eval "$(carina env web)"');
    expect(screen.getByRole('button', { name: 'Download web.zip' })).toBeTruthy();
  });

  it('names the private registry and its docker login line in Get access when the account has one', async () => {
    const registry = { address: '127.0.0.1:5000', namespace: 'alice', quota_bytes: 1, used_bytes: 0, ca_pem: '' };
    const get = vi.fn((path: string) => (path === '/v1/registry' ? Promise.resolve(registry) : Promise.reject(new ApiError(404, 'CARINA_ERR_NOT_FOUND', 'no such endpoint'))));
    show(cluster({ name: 'web' }), {}, fakeApi({ get: get as Api['get'] }));
    expect((await screen.findByTestId('access-registry')).textContent).toBe('127.0.0.1:5000');
    expect(screen.getByLabelText('docker login line for the registry').textContent).toBe('docker login 127.0.0.1:5000 -u alice -p <your API key>');
    expect(screen.getByRole('link', { name: 'Registry' }).getAttribute('href')).toBe('/registry');
    expect(screen.queryByText(/No registry is reachable from the nodes/)).toBeNull();
  });

  it('keeps the busybox hint in Get access when the server runs no registry', async () => {
    const get = vi.fn(() => Promise.reject(new ApiError(503, 'CARINA_ERR_REGISTRY_UNAVAILABLE', 'no registry')));
    show(cluster({ name: 'web' }), {}, fakeApi({ get }));
    await waitFor(() => expect(get).toHaveBeenCalledWith('/v1/registry'));
    expect(screen.getByText(/No registry is reachable from the nodes/)).toBeTruthy();
    expect(screen.queryByTestId('access-registry')).toBeNull();
  });

  it('asks before adding nodes, with the resulting count, and focuses Cancel', async () => {
    const { api, onChanged } = show(cluster({ nodes: 2 }));
    const by = screen.getByLabelText('Nodes to add');
    fireEvent.change(by, { target: { value: '2' } });
    expect(screen.getByText('The cluster will have 4 nodes.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Add nodes…' }));
    const dialog = screen.getByRole('dialog', { name: 'Add 2 nodes to web?' });
    expect(dialog.textContent).toContain('will go from 2 nodes to 4 nodes');
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(api.send).not.toHaveBeenCalled();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add 2 nodes (4 in total)' }));
    await waitFor(() => expect(api.send).toHaveBeenCalledWith('POST', '/v1/clusters/web/grow', { by: 2 }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(onChanged).toHaveBeenCalled();
  });

  it('will not add beyond the quota', () => {
    show(cluster({ nodes: 4 }));
    fireEvent.change(screen.getByLabelText('Nodes to add'), { target: { value: '2' } });
    expect(screen.getByText('Your quota allows 5 nodes per cluster: add at most 1.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Add nodes…' })).toHaveProperty('disabled', true);
  });

  it('explains Rebuild, and that workloads keep running', async () => {
    const { api } = show(cluster());
    fireEvent.click(screen.getByRole('button', { name: 'Rebuild…' }));
    const dialog = screen.getByRole('dialog', { name: 'Rebuild web?' });
    expect(dialog.textContent).toContain('Workloads keep running');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Rebuild' }));
    await waitFor(() => expect(api.send).toHaveBeenCalledWith('POST', '/v1/clusters/web/rebuild'));
  });

  it('deletes only after the name is typed', async () => {
    const { api } = show(cluster());
    fireEvent.click(screen.getByRole('button', { name: 'Delete cluster…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete web?' });
    const confirm = within(dialog).getByRole('button', { name: 'Delete this cluster' });
    expect(confirm).toHaveProperty('disabled', true);
    const input = within(dialog).getByLabelText(/Type web to confirm/);
    expect(document.activeElement).toBe(input);
    fireEvent.change(input, { target: { value: 'we' } });
    expect(confirm).toHaveProperty('disabled', true);
    fireEvent.change(input, { target: { value: 'web' } });
    fireEvent.click(confirm);
    await waitFor(() => expect(api.send).toHaveBeenCalledWith('DELETE', '/v1/clusters/web'));
  });

  it('turns autoscale on', async () => {
    const { api } = show(cluster({ autoscale: false }));
    fireEvent.click(screen.getByRole('switch', { name: /Autoscale is off/ }));
    await waitFor(() => expect(api.send).toHaveBeenCalledWith('PUT', '/v1/clusters/web/autoscale', { enabled: true }));
  });
});

describe('cluster page data states', () => {
  it('says when there is no such cluster, and links back', async () => {
    const api = fakeApi({ get: vi.fn(() => Promise.reject(new ApiError(404, 'CARINA_ERR_CLUSTER_NOT_FOUND', 'no cluster named "gone"'))) });
    render(
      <WithPortal api={api}>
        <ClusterPage name="gone" />
      </WithPortal>,
    );
    expect(screen.getByRole('status').textContent).toContain('Loading gone');
    expect(await screen.findByRole('heading', { name: 'No cluster named “gone”' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'See your clusters' }).getAttribute('href')).toBe('/');
  });

  it('loads the cluster, its events and usage; a server without /usage shows "—"', async () => {
    const get = vi.fn((path: string): Promise<unknown> => {
      if (path === '/v1/clusters/web') return Promise.resolve(cluster());
      if (path.startsWith('/v1/clusters/web/events')) return Promise.resolve({ events: [{ id: 1, time: new Date().toISOString(), type: 'created', message: 'cluster requested' }] });
      if (path === '/v1/quotas') return Promise.resolve(quotas);
      if (path === '/v1/flavors') return Promise.resolve({ flavors: [flavor] });
      return Promise.reject(new ApiError(404, 'CARINA_ERR_NOT_FOUND', 'no such endpoint'));
    });
    render(
      <WithPortal api={fakeApi({ get: get as Api['get'] })}>
        <ClusterPage name="web" />
      </WithPortal>,
    );
    expect(await screen.findByText('cluster requested')).toBeTruthy();
    expect(screen.getByText('(4 GiB memory, 2 vCPU, 20 GB disk)')).toBeTruthy();
    const rows = within(screen.getByRole('table', { name: 'Nodes' })).getAllByRole('row');
    expect(rows[1]?.textContent).toContain('—');
    expect(get).toHaveBeenCalledWith('/v1/clusters/web/usage');
  });
});
