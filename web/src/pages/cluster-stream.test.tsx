import { act, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../api';
import { cluster, fakeApi, WithPortal } from '../test-support';
import type { Cluster } from '../types';
import { ClusterPage } from './cluster-page';

/** A stand-in for the browser's EventSource (jsdom has none): the test opens, feeds and fails it. */
class FakeEventSource {
  static readonly instances: FakeEventSource[] = [];
  readonly url: string;
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  readonly #listeners = new Map<string, Array<() => void>>();

  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }
  addEventListener(name: string, fn: () => void): void {
    this.#listeners.set(name, [...(this.#listeners.get(name) ?? []), fn]);
  }
  close(): void {
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  message(data: unknown): void {
    this.onmessage?.({ data: JSON.stringify(data) });
  }
  /** What a browser does when the answer is no event stream (an older server's JSON, an error status). */
  fail(): void {
    this.readyState = 2;
    this.onerror?.();
  }
}

const quotas = { max_clusters: 3, max_nodes_per_cluster: 5, clusters: 1 };
const flavor = { name: 'container1-4G', memory_bytes: 4 * 1024 ** 3, memory: '4 GiB', vcpus: 2, disk_gb: 20 };
const event = (id: number, message: string) => ({ id, time: new Date().toISOString(), type: 'node', message });

function serve(state: { cluster: Cluster; events: unknown[] }) {
  return vi.fn((path: string): Promise<unknown> => {
    if (path === '/v1/clusters/web') return Promise.resolve(state.cluster);
    if (path.startsWith('/v1/clusters/web/events')) return Promise.resolve({ events: state.events });
    if (path === '/v1/quotas') return Promise.resolve(quotas);
    if (path === '/v1/flavors') return Promise.resolve({ flavors: [flavor] });
    return Promise.reject(new ApiError(404, 'CARINA_ERR_NOT_FOUND', 'no such endpoint'));
  });
}

describe('cluster page on the event stream', () => {
  beforeEach(() => {
    FakeEventSource.instances.length = 0;
    vi.stubGlobal('EventSource', FakeEventSource);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('adds each streamed event to the log and reloads the cluster at once, without polling the log', async () => {
    const state = { cluster: cluster({ status: 'building', nodes_ready: 0 }), events: [] as unknown[] };
    const get = serve(state);
    render(
      <WithPortal api={fakeApi({ get: get as Api['get'] })}>
        <ClusterPage name="web" />
      </WithPortal>,
    );
    await screen.findByText(/starting the nodes and forming the swarm/);
    const source = FakeEventSource.instances[0];
    expect(source?.url).toBe('/v1/clusters/web/events');
    act(() => source?.open());
    get.mockClear();
    state.cluster = cluster({ status: 'active' });
    act(() => source?.message(event(7, 'node 1 (worker) started')));
    expect(await screen.findByText('node 1 (worker) started')).toBeTruthy();
    await waitFor(() => expect(get).toHaveBeenCalledWith('/v1/clusters/web'), { timeout: 1000 });
    expect(get.mock.calls.some(([path]) => path.startsWith('/v1/clusters/web/events'))).toBe(false);
  });

  it('falls back to polling, log included, when the stream fails', async () => {
    const state = { cluster: cluster(), events: [event(1, 'cluster requested')] };
    const get = serve(state);
    render(
      <WithPortal api={fakeApi({ get: get as Api['get'] })}>
        <ClusterPage name="web" />
      </WithPortal>,
    );
    act(() => FakeEventSource.instances[0]?.fail());
    expect(await screen.findByText('cluster requested')).toBeTruthy();
    state.events = [event(2, 'polled after the stream failed')];
    expect(await screen.findByText('polled after the stream failed', {}, { timeout: 4000 })).toBeTruthy();
    expect(get.mock.calls.filter(([path]) => path === '/v1/clusters/web').length).toBeGreaterThanOrEqual(2);
  });
});
