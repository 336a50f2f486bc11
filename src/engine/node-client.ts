import Dockerode from 'dockerode';
import { sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tlsDocker, type TlsMaterial } from './host-client.js';

/** Dockerode clients for node engines, reached through their unix socket on the host. */
export class NodeClients {
  readonly #clients = new Map<string, Dockerode>();
  readonly #wrap: (docker: Dockerode) => Dockerode;

  /** `wrap`: applied to each client as it is made (the control plane fences their changing requests). */
  constructor(wrap: (docker: Dockerode) => Dockerode = (d) => d) {
    this.#wrap = wrap;
  }

  /** A client for the engine listening at `socketPath` (cached); `quick` ones time out after 2 s. */
  get(socketPath: string, quick = false): Dockerode {
    const key = `${quick ? 'q' : 's'}:${socketPath}`;
    let client = this.#clients.get(key);
    if (!client) {
      client = this.#wrap(new Dockerode({ socketPath, timeout: quick ? 2_000 : 30_000 }));
      this.#clients.set(key, client);
    }
    return client;
  }

  /** A client for a node engine on a registered host, at its published TLS port (cached); `quick` ones time out after 2 s. */
  tls(address: string, port: number, material: TlsMaterial, quick = false): Dockerode {
    const key = `${quick ? 'q' : 's'}:tls://${address}:${port}`;
    let client = this.#clients.get(key);
    if (!client) {
      client = this.#wrap(tlsDocker({ host: address, port }, material, quick ? 2_000 : 30_000));
      this.#clients.set(key, client);
    }
    return client;
  }

  /** Forgets the clients of every engine whose socket is under `dir` (a removed node's or cluster's directory). */
  evict(dir: string): void {
    const prefix = dir.endsWith(sep) ? dir : `${dir}${sep}`;
    for (const key of this.#clients.keys()) if (key.slice(2).startsWith(prefix)) this.#clients.delete(key);
  }
}

/** Polls the engine until it answers a ping, every 10 ms (a start takes ~0.4 s), up to `timeoutMs`. Returns false on timeout. */
export async function waitForEngine(client: Dockerode, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pingQuick(client)) return true;
    await sleep(10);
  }
  return false;
}

/** One ping; false when the engine doesn't answer (with a node's `quick` client, within 2 s). */
export async function pingQuick(client: Dockerode): Promise<boolean> {
  try {
    await client.ping();
    return true;
  } catch {
    return false;
  }
}
