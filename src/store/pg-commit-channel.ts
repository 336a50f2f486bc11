import type pg from 'pg';
import { describeCause } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { EVENTS_CHANNEL, type CommitChannel } from './event-commits.js';

/** The wait before the `failures`-th attempt in a row to listen again: 0.25 s, doubling, at most 10 s. */
export function listenRetryMs(failures: number): number {
  return Math.min(250 * 2 ** Math.max(0, failures - 1), 10_000);
}

/** What a PostgreSQL store's channel needs. */
export interface PgCommitChannelOptions {
  /** A new, unconnected client on the store's database: not one of the pool's, since it is held while the store is open. */
  readonly client: () => pg.Client;
  /** This store's name in notifications: its own commits, which its listeners were told of already. */
  readonly self: string;
  readonly signal: () => void;
  readonly log: Log;
}

/**
 * Other replicas' commits of events, heard on one connection that LISTENs on `carina_events`. The
 * connection may be lost (PostgreSQL restarted, stopped, a network cut): it is opened again with
 * a back-off and said once at warn level; meanwhile streams find the events by polling, since they
 * read the log by id whatever woke them. When listening again after that, the listeners are told at
 * once: a commit may have come unheard.
 */
export class PgCommitChannel implements CommitChannel {
  readonly #o: PgCommitChannelOptions;
  /** The connection listening or about to; undefined between attempts and once closed. */
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;
  #failures = 0;
  #warned = false;

  constructor(options: PgCommitChannelOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    void this.#listen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #listen(): Promise<void> {
    const client = this.#o.client();
    this.#client = client;
    // An 'error' nobody listens to would end the process: a lost connection is a reason to listen again, no more.
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('the connection ended')));
    client.on('notification', (n) => {
      if (n.channel === EVENTS_CHANNEL && n.payload !== this.#o.self) this.#o.signal();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (error) {
      this.#lost(client, error);
      return;
    }
    if (this.#client !== client) return; // closed, or lost, meanwhile
    const again = this.#warned;
    this.#failures = 0;
    this.#warned = false;
    if (again) {
      this.#o.log("store: hearing other replicas' events again");
      this.#o.signal();
    }
  }

  /** `client` failed or ended: unless it was dropped already (or the store closes), listen again after a back-off. */
  #lost(client: pg.Client, error: unknown): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    void client.end().catch(() => undefined);
    this.#failures += 1;
    if (!this.#warned) {
      this.#warned = true;
      this.#o.log(`store: not hearing other replicas' events (${describeCause(error)}): live streams find them by polling until this connection is back; retrying`, { level: 'warn' });
    }
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#listen();
    }, listenRetryMs(this.#failures));
    this.#retry.unref();
  }
}
