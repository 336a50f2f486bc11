import type { ReactNode } from 'react';
import { vi } from 'vitest';
import { ErrorCode } from '../../src/wire/error-codes';
import { ApiError, type Api } from './api';
import { PortalContext } from './portal-context';
import type { Cluster } from './types';

/** An Api whose calls are spies; `send` resolves unless told otherwise. */
export function fakeApi(overrides: Partial<Api> = {}): Api & { [K in keyof Api]: ReturnType<typeof vi.fn> } {
  return {
    get: vi.fn(() => Promise.reject(new ApiError(404, ErrorCode.NOT_FOUND, 'no such endpoint'))),
    send: vi.fn(() => Promise.resolve({})),
    download: vi.fn(() => Promise.resolve(new Blob(['zip']))),
    signIn: vi.fn(),
    whoAmI: vi.fn(),
    signOut: vi.fn(() => Promise.resolve()),
    ...overrides,
  } as never;
}

/** Renders children as a signed-in page. */
export function WithPortal({ api, children, flash = () => undefined }: { readonly api: Api; readonly children: ReactNode; readonly flash?: (m: string) => void }) {
  return <PortalContext.Provider value={{ api, session: { username: 'alice', csrf_token: 't', expires_at: '' }, flash }}>{children}</PortalContext.Provider>;
}

/** A cluster with sensible defaults. */
export function cluster(over: Partial<Cluster> = {}): Cluster {
  return {
    id: 'abc123',
    name: 'web',
    flavor: 'container1-4G',
    nodes: 2,
    nodes_ready: 2,
    autoscale: false,
    status: 'active',
    status_reason: null,
    endpoint: 'tcp://127.0.0.1:23760',
    created_at: new Date(Date.now() - 5 * 60_000).toISOString(),
    updated_at: new Date().toISOString(),
    node_details: [
      { index: 0, role: 'manager', status: 'ready', address: '172.18.0.2' },
      { index: 1, role: 'worker', status: 'ready', address: '172.18.0.3' },
    ],
    ...over,
  };
}
