import type { Server, Socket } from 'node:net';
import { ConnectionBudget, ReportThrottle, clientKey } from '../core/connection-budget.js';

/** Caps shared by the servers one ConnectionCaps guards; 0 means no cap. */
export interface ConnectionCapsOptions {
  /** What the servers are, in log lines ("the API", "the gateway"). */
  readonly scope: string;
  /** Connections one client address (an IPv6 /64) may hold across those servers. */
  readonly perAddress: number;
  /** Connections all clients together may hold across those servers. */
  readonly total: number;
  readonly log: (line: string) => void;
  /** At most one line about refused connections per this many ms (default a minute). */
  readonly logIntervalMs?: number;
  readonly now?: () => number;
}

/**
 * Connection caps of one or more listening servers (the API; every gateway listener together): a
 * connection over a cap is closed at once, before TLS or HTTP spend anything on it, and refusals
 * are logged at most once per interval, however many there are.
 */
export class ConnectionCaps {
  readonly #o: ConnectionCapsOptions;
  readonly #budget: ConnectionBudget;
  readonly #notes: ReportThrottle;

  constructor(options: ConnectionCapsOptions) {
    this.#o = Object.freeze({ ...options });
    this.#budget = new ConnectionBudget({ perClient: options.perAddress, total: options.total });
    this.#notes = new ReportThrottle(options.logIntervalMs ?? 60_000, options.now ?? Date.now);
  }

  /**
   * Caps `server` (called `name` in the log) at `maxConnections` of its own (net.Server's, 0: none)
   * and returns the check its 'connection' handler calls first: false when it closed the socket.
   */
  guard(server: Server, name: string, maxConnections: number): (socket: Socket) => boolean {
    if (maxConnections > 0) {
      server.maxConnections = maxConnections;
      server.on('drop', (d) => this.#refused(name, d?.remoteAddress, `${name} holds ${maxConnections} connections already (its cap)`));
    }
    return (socket) => {
      const client = clientKey(socket.remoteAddress ?? '');
      const admission = this.#budget.admit(client);
      if (admission === 'admitted') {
        socket.once('close', () => this.#budget.release(client));
        return true;
      }
      socket.destroy();
      const why =
        admission === 'client-full'
          ? `${client} holds ${this.#o.perAddress} connections to ${this.#o.scope} already (the per-address cap)`
          : `${this.#o.scope} holds ${this.#o.total} connections already (its total cap)`;
      this.#refused(name, socket.remoteAddress, why);
      return false;
    };
  }

  /** Connections open now on the guarded servers (those the per-server cap refused aside). */
  get open(): number {
    return this.#budget.open;
  }

  #refused(name: string, address: string | undefined, why: string): void {
    const count = this.#notes.record();
    if (count === 0) return;
    const more = count > 1 ? ` (${count - 1} more closed since the last such line)` : '';
    this.#o.log(`${name}: closed a new connection from ${address ?? 'an unknown address'} at once: ${why}${more}`);
  }
}
