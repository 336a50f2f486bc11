import { describeCause } from '../core/errors.js';
import type { AuditEntry, AuditRepository } from '../core/ports.js';

/** What the gateway records of one request. */
export type AuditRecord = Omit<AuditEntry, 'id' | 'at'>;

/** HTTP methods that change something: these are always audited (other requests only when refused). */
export const MUTATING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/**
 * Writes audit entries in order without holding up the request that produced them. A failed write
 * is logged (for instance a cluster deleted in between) and never fails the request.
 */
export class AuditLog {
  readonly #repo: AuditRepository;
  readonly #log: (line: string) => void;
  #tail: Promise<void> = Promise.resolve();

  constructor(repo: AuditRepository, log: (line: string) => void) {
    this.#repo = repo;
    this.#log = log;
  }

  /** Queues one entry. */
  record(entry: AuditRecord): void {
    this.#tail = this.#tail.then(() =>
      this.#repo.append(entry).then(
        () => undefined,
        (e: unknown) => this.#log(`gateway: audit entry of cluster ${entry.clusterId} not written: ${describeCause(e)}`),
      ),
    );
  }

  /** Resolves once every queued entry is written. */
  flush(): Promise<void> {
    return this.#tail;
  }
}
