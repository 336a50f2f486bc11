/** Whether one more connection may open: admitted (and counted), or refused for its client or for everyone. */
export type Admission = 'admitted' | 'client-full' | 'total-full';

/** Caps of a ConnectionBudget; 0 means no cap. */
export interface ConnectionBudgetOptions {
  /** Connections one client (see clientKey) may hold at once. */
  readonly perClient: number;
  /** Connections all clients together may hold at once. */
  readonly total: number;
}

/**
 * The client a connection is counted against: its address, with an IPv4-mapped IPv6 address as
 * plain IPv4 and any other IPv6 address as its /64 (a host is given a whole /64, so counting single
 * addresses would let one host open a connection from each of them).
 */
export function clientKey(address: string): string {
  const plain = address.split('%')[0] ?? '';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(plain);
  if (mapped?.[1]) return mapped[1];
  if (!plain.includes(':')) return plain;
  const [head = '', tail] = plain.split('::', 2);
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0');
  const groups = [...front, ...zeros, ...back].slice(0, 4).map((g) => (Number.parseInt(g, 16) || 0).toString(16));
  return `${groups.join(':')}::/64`;
}

/**
 * Counts the open connections of each client and of all together, and decides whether one more may
 * open. Listeners ask before spending any TLS or HTTP work on a connection and close a refused one
 * at once, so no client — authenticated or not — can take every file descriptor of the process.
 */
export class ConnectionBudget {
  readonly #o: ConnectionBudgetOptions;
  readonly #open = new Map<string, number>();
  #total = 0;

  constructor(options: ConnectionBudgetOptions) {
    this.#o = Object.freeze({ ...options });
  }

  /** Counts a new connection of `client` if the caps allow it. */
  admit(client: string): Admission {
    if (this.#o.total > 0 && this.#total >= this.#o.total) return 'total-full';
    const held = this.#open.get(client) ?? 0;
    if (this.#o.perClient > 0 && held >= this.#o.perClient) return 'client-full';
    this.#open.set(client, held + 1);
    this.#total += 1;
    return 'admitted';
  }

  /** Forgets a connection that `admit` counted, once it closed. */
  release(client: string): void {
    const held = this.#open.get(client) ?? 0;
    if (held === 0) return;
    if (held === 1) this.#open.delete(client);
    else this.#open.set(client, held - 1);
    this.#total -= 1;
  }

  /** Connections counted now. */
  get open(): number {
    return this.#total;
  }
}

/**
 * Says when to report an event that may recur thousands of times a second (a refused connection):
 * the first at once, then at most once per interval, with how many happened since.
 */
export class ReportThrottle {
  readonly #intervalMs: number;
  readonly #now: () => number;
  #quietUntil = Number.NEGATIVE_INFINITY;
  #held = 0;

  constructor(intervalMs: number, now: () => number) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Counts one event; returns how many to report now (this one and those held back), or 0 to stay quiet. */
  record(): number {
    this.#held += 1;
    const now = this.#now();
    if (now < this.#quietUntil) return 0;
    this.#quietUntil = now + this.#intervalMs;
    const count = this.#held;
    this.#held = 0;
    return count;
  }
}
