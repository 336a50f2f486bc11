import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, StoreContext } from './database.js';

/** The PostgreSQL channel on which every replica announces its commits of events. */
export const EVENTS_CHANNEL = 'carina_events';

/** What carries other replicas' commits to this store: started at its first listener, closed with the store. */
export interface CommitChannel {
  start(): void;
  close(): Promise<void>;
}

/** Opens a store's channel: `self` names the store in notifications, `signal` tells its listeners. */
export type OpenCommitChannel = (self: string, signal: () => void) => CommitChannel;

/**
 * Who is told that events were committed: the listeners of one store (every view of it), called at
 * once after this process's own commits and, when the store has a channel (PostgreSQL's LISTEN),
 * after other replicas' too. A signal says only "read the log": the readers go by event ids.
 */
export class EventCommits {
  /** Names this store in its notifications, so that its channel skips those its listeners were told of already. */
  readonly self = randomUUID();
  readonly #listeners = new Set<() => void>();
  readonly #channel: CommitChannel | undefined;
  #closed = false;

  constructor(openChannel?: OpenCommitChannel) {
    this.#channel = openChannel?.(this.self, () => this.committed());
  }

  /** Calls `listener` after every commit of events from now on; returns how to stop. */
  add(listener: () => void): () => void {
    if (this.#closed) return () => undefined;
    this.#listeners.add(listener);
    // Started at the first listener: a store opened only to run an admin command holds no extra connection.
    this.#channel?.start();
    return () => this.#listeners.delete(listener);
  }

  /** Tells every listener that events were committed. */
  committed(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /** Stops hearing other replicas (the store is closing). */
  close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    return this.#channel?.close() ?? Promise.resolve();
  }
}

/**
 * In a transaction that has inserted events: tells every replica listening, once it commits
 * (PostgreSQL delivers a NOTIFY at commit, and never one of a transaction rolled back). SQLite has
 * no such thing: its replicas, if any, find other processes' events by polling.
 */
export async function announceEvents(trx: Kysely<Database>, ctx: StoreContext): Promise<void> {
  if (ctx.dialect === 'postgres') await sql`select pg_notify(${EVENTS_CHANNEL}, ${ctx.eventCommits?.self ?? ''})`.execute(trx);
}
