import { describe, expect, it } from 'vitest';
import { NodeClients } from './node-client.js';

describe('NodeClients', () => {
  const socket = (cluster: string, index: number) => `/data/nodes/${cluster}/n${index}/docker.sock`;

  it('keeps one client per socket and per kind (quick or not)', () => {
    const clients = new NodeClients();
    expect(clients.get(socket('c1', 0))).toBe(clients.get(socket('c1', 0)));
    expect(clients.get(socket('c1', 0), true)).toBe(clients.get(socket('c1', 0), true));
    expect(clients.get(socket('c1', 0), true)).not.toBe(clients.get(socket('c1', 0)));
  });

  it("evicts a deleted cluster's clients, both kinds, and no other cluster's", () => {
    const clients = new NodeClients();
    const kept = [clients.get(socket('c10', 0)), clients.get(socket('c2', 0), true)];
    const gone = [clients.get(socket('c1', 0)), clients.get(socket('c1', 1), true)];
    clients.evict('/data/nodes/c1');
    expect(clients.get(socket('c1', 0))).not.toBe(gone[0]);
    expect(clients.get(socket('c1', 1), true)).not.toBe(gone[1]);
    expect(clients.get(socket('c10', 0))).toBe(kept[0]); // c1 is not a prefix of c10
    expect(clients.get(socket('c2', 0), true)).toBe(kept[1]);
  });

  it("evicts a removed node's clients and keeps its cluster's others", () => {
    const clients = new NodeClients();
    const manager = clients.get(socket('c1', 0), true);
    const worker = clients.get(socket('c1', 1), true);
    clients.evict('/data/nodes/c1/n1/');
    expect(clients.get(socket('c1', 0), true)).toBe(manager);
    expect(clients.get(socket('c1', 1), true)).not.toBe(worker);
  });

  it('wraps each client once, as it is made (the control plane fences node engines’ changing requests so)', () => {
    const wrapped: unknown[] = [];
    const clients = new NodeClients((d) => (wrapped.push(d), d));
    const first = clients.get(socket('c1', 0));
    expect(clients.get(socket('c1', 0))).toBe(first);
    const remote = clients.tls('10.214.0.11', 32768, { ca: 'ca', cert: 'cert', key: 'key' }, true);
    expect(wrapped).toEqual([first, remote]);
  });
});
