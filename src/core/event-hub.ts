import type { LoggedEvent } from './ports.js';

/** Which events a stream wants: one account's, optionally of one cluster only. */
export interface EventScope {
  readonly accountId: string;
  readonly clusterId?: string | undefined;
}

/** Where a subscription's events go. */
export interface EventSink {
  /** New events of the scope, each once, in id order. */
  events(events: readonly LoggedEvent[]): void;
  /** The scope's cluster no longer exists: nothing more will come. */
  gone(): void;
}

/** A stream's place in the hub; `close` it when the client goes. */
export interface EventSubscription {
  /**
   * Ends the catch-up: events published while it ran (kept aside) are handed on now, those after
   * `lastId` only, so an event both read from the store and published is delivered once.
   */
  caughtUp(lastId: number): void;
  close(): void;
}

interface Subscriber {
  readonly scope: EventScope;
  readonly sink: EventSink;
  /** The highest id handed to the sink (or read by its catch-up). */
  cursor: number;
  /** Events published during the catch-up; undefined once it ended. */
  held: LoggedEvent[] | undefined;
}

/**
 * Fans the events one poller reads out of the store to every stream of this process that wants them:
 * one store query per tick however many clients listen. Pure: the poller and the streams do the IO.
 */
export class EventHub {
  readonly #byAccount = new Map<string, Set<Subscriber>>();
  #count = 0;

  /** Streams open. */
  get size(): number {
    return this.#count;
  }

  /** Subscribes a stream that has seen everything up to `afterId`; it is catching up until `caughtUp`. */
  subscribe(scope: EventScope, afterId: number, sink: EventSink): EventSubscription {
    const sub: Subscriber = { scope, sink, cursor: afterId, held: [] };
    let set = this.#byAccount.get(scope.accountId);
    if (!set) this.#byAccount.set(scope.accountId, (set = new Set()));
    set.add(sub);
    this.#count += 1;
    let open = true;
    return {
      caughtUp: (lastId) => {
        const held = sub.held ?? [];
        sub.held = undefined;
        sub.cursor = Math.max(sub.cursor, lastId);
        if (open) this.#deliver(sub, held);
      },
      close: () => {
        if (!open) return;
        open = false;
        set.delete(sub);
        if (set.size === 0) this.#byAccount.delete(scope.accountId);
        this.#count -= 1;
      },
    };
  }

  /** Hands newly read events (in id order) to the streams whose scope they are in. */
  publish(events: readonly LoggedEvent[]): void {
    const byAccount = new Map<string, LoggedEvent[]>();
    for (const e of events) {
      if (!this.#byAccount.has(e.accountId)) continue;
      const list = byAccount.get(e.accountId);
      if (list) list.push(e);
      else byAccount.set(e.accountId, [e]);
    }
    for (const [accountId, list] of byAccount) {
      for (const sub of [...(this.#byAccount.get(accountId) ?? [])]) {
        const mine = sub.scope.clusterId === undefined ? list : list.filter((e) => e.clusterId === sub.scope.clusterId);
        if (sub.held) sub.held.push(...mine);
        else this.#deliver(sub, mine);
      }
    }
  }

  /** The clusters some stream follows (to ask the store which still exist). */
  clusterIds(): string[] {
    const ids = new Set<string>();
    for (const set of this.#byAccount.values()) for (const sub of set) if (sub.scope.clusterId !== undefined && !sub.held) ids.add(sub.scope.clusterId);
    return [...ids];
  }

  /** Tells the streams of clusters that no longer exist (`existing` answered after every event was published). */
  clustersGone(asked: readonly string[], existing: readonly string[]): void {
    const alive = new Set(existing);
    const gone = new Set(asked.filter((id) => !alive.has(id)));
    if (gone.size === 0) return;
    for (const set of this.#byAccount.values()) {
      for (const sub of [...set]) if (sub.scope.clusterId !== undefined && !sub.held && gone.has(sub.scope.clusterId)) sub.sink.gone();
    }
  }

  #deliver(sub: Subscriber, events: readonly LoggedEvent[]): void {
    const fresh = events.filter((e) => e.id > sub.cursor);
    const last = fresh.at(-1);
    if (!last) return;
    sub.cursor = last.id;
    sub.sink.events(fresh);
  }
}
