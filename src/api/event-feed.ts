import { EventHub, type EventScope, type EventSink, type EventSubscription } from '../core/event-hub.js';
import type { EventRepository, LoggedEvent } from '../core/ports.js';

/** How a process's event streams learn of new events. */
export interface EventFeedOptions {
  /** Between two reads of the store's new events (only while a stream is open). */
  readonly pollMs: number;
  /** Between two heartbeat comments on every open stream. */
  readonly heartbeatMs: number;
  readonly log: (line: string) => void;
}

/** What the feed does to a stream besides handing it events. */
export interface StreamControl {
  heartbeat(): void;
  end(): void;
}

/** Defaults: a new event reaches streams within about 250 ms; proxies see traffic every 15 s. */
export const EVENT_FEED_DEFAULTS = Object.freeze({ pollMs: 250, heartbeatMs: 15_000 });

/** Events read per query; a full page is followed at once by the next. */
export const PAGE = 500;
/** Deleted clusters are looked for every this many polls. */
const GONE_EVERY = 4;

/**
 * One poller per process: replicas share only the store, so every replica reads the events table
 * (`id > last`, one query per tick whoever listens) and its hub fans them out to its own streams.
 * It runs only while a stream is open, and starts from the last id there is then.
 */
export class EventFeed {
  readonly #events: EventRepository;
  readonly #o: EventFeedOptions;
  readonly hub = new EventHub();
  readonly #streams = new Set<StreamControl>();
  #last = -1;
  /** Resolves once `#last` is read: a catch-up read after it misses nothing the hub will not publish. */
  #ready: Promise<void> = Promise.resolve();
  #readyNow: () => void = () => undefined;
  /** Which start the running loop belongs to (a stop and a new start while a tick awaits the store). */
  #run = 0;
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #ticks = 0;
  #closed = false;
  #failing = false;
  /** The run whose read of the store is under way (0: none); `#wakeAgain`: events were committed meanwhile, read again at once after it. */
  #ticking = 0;
  #wakeAgain = false;
  readonly #unwatch: () => void;

  constructor(events: EventRepository, options: EventFeedOptions) {
    this.#events = events;
    this.#o = options;
    // Committed events reach streams without waiting for a poll: this process's own (the leader's steps, the
    // API's creates) and, on PostgreSQL, other replicas' (LISTEN/NOTIFY). Polling stays for whatever no signal told.
    this.#unwatch = events.onCommit(() => this.#wake());
  }

  /**
   * Subscribes a stream (see EventHub.subscribe) and gives it heartbeats until it closes. Answers once
   * the poller knows where it starts: the stream's catch-up must read the store after that.
   */
  async subscribe(scope: EventScope, afterId: number, sink: EventSink, control: StreamControl): Promise<EventSubscription> {
    const sub = this.hub.subscribe(scope, afterId, sink);
    this.#streams.add(control);
    this.#start();
    await this.#ready;
    return {
      caughtUp: (lastId) => sub.caughtUp(lastId),
      close: () => {
        sub.close();
        this.#streams.delete(control);
        if (this.hub.size === 0) this.#stop();
      },
    };
  }

  /** A page of the store's events of `scope` after `afterId` (a stream's catch-up), in id order; full when `length === PAGE`. */
  async page(scope: EventScope & { readonly clusterName?: string }, afterId: number): Promise<LoggedEvent[]> {
    if (scope.clusterId === undefined) return this.#events.since(afterId, PAGE, scope.accountId);
    const events = await this.#events.list(scope.clusterId, { afterId, limit: PAGE });
    return events.map((e) => ({ ...e, accountId: scope.accountId, clusterName: scope.clusterName ?? '' }));
  }

  /** Stops polling and ends every open stream (the server is closing: clients reconnect elsewhere). */
  close(): void {
    this.#closed = true;
    this.#unwatch();
    for (const stream of [...this.#streams]) stream.end();
    this.#stop();
    this.#readyNow(); // nobody waits for a start that will not come
  }

  #start(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#ready = new Promise((resolve) => (this.#readyNow = resolve));
    this.#run += 1;
    this.#heartbeat = setInterval(() => {
      for (const stream of [...this.#streams]) stream.heartbeat();
    }, this.#o.heartbeatMs);
    this.#heartbeat.unref();
    this.#schedule(0);
  }

  #stop(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#heartbeat);
    this.#timer = undefined;
    this.#heartbeat = undefined;
    this.#last = -1;
    this.#run += 1;
  }

  /** Reads the store now rather than at the next tick (when polling, and once it knows where it starts). */
  #wake(): void {
    if (this.#timer === undefined || this.#last < 0 || this.#closed) return;
    if (this.#ticking === this.#run) {
      this.#wakeAgain = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    const run = this.#run;
    this.#timer = setTimeout(() => void this.#tick(run), ms);
    this.#timer.unref();
  }

  async #tick(run: number): Promise<void> {
    this.#ticking = run;
    this.#wakeAgain = false;
    let again: number | undefined;
    try {
      again = await this.#read(run);
    } finally {
      if (this.#ticking === run) this.#ticking = 0;
    }
    if (again === undefined) return; // that run ended while the store answered
    if (this.#wakeAgain && !this.#failing) again = 0;
    if (run === this.#run && this.#timer !== undefined && !this.#closed) this.#schedule(again);
  }

  /** One read of the store for run `run`: how long until the next, or undefined when the run ended meanwhile. */
  async #read(run: number): Promise<number | undefined> {
    let again = this.#o.pollMs;
    try {
      // Started from the last id there is: streams catch up on older ones from the store themselves.
      if (this.#last < 0) {
        const last = await this.#events.lastId();
        if (run !== this.#run) return undefined;
        this.#last = last;
        this.#readyNow();
      } else {
        const events = await this.#events.since(this.#last, PAGE);
        if (run !== this.#run) return undefined;
        const last = events.at(-1);
        if (last) {
          this.#last = last.id;
          this.hub.publish(events);
          if (events.length === PAGE) again = 0;
        }
      }
      if (++this.#ticks % GONE_EVERY === 0) {
        const asked = this.hub.clusterIds();
        if (asked.length > 0) {
          const existing = await this.#events.existing(asked);
          if (run !== this.#run) return undefined;
          // Their last events were published above: a deletion commits the cluster's events away with it.
          this.hub.clustersGone(asked, existing);
        }
      }
      if (this.#failing) this.#o.log('api: event streams: the store answers again');
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) this.#o.log(`api: event streams: reading new events failed (retrying): ${error instanceof Error ? error.message : String(error)}`);
      this.#failing = true;
      again = Math.max(this.#o.pollMs, 1000);
    }
    return again;
  }
}
