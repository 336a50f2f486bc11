import { CarinaError, ErrorCode } from '../../core/errors.js';
import type { Clock, WarmShell, WarmShellRepository } from '../../core/ports.js';

/** Warm shells in memory for the keeper's unit tests (the store's are contract-tested); `take` is what a create does. */
export class MemoryShells implements WarmShellRepository {
  readonly #shells = new Map<string, WarmShell>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  reserve(input: { id: string; flavor: string; nodeCount: number }, range: { from: number; to: number }): Promise<WarmShell> {
    const used = new Set([...this.#shells.values()].map((s) => s.port));
    let port = range.from;
    while (used.has(port)) port += 1;
    if (port > range.to) return Promise.reject(new CarinaError(ErrorCode.PORTS_EXHAUSTED, 'no free port'));
    const shell: WarmShell = { ...input, port, ready: false, createdAt: this.#clock.now() };
    this.#shells.set(shell.id, shell);
    return Promise.resolve(shell);
  }

  list(): Promise<WarmShell[]> {
    return Promise.resolve([...this.#shells.values()]);
  }

  markReady(id: string): Promise<boolean> {
    const s = this.#shells.get(id);
    if (s) this.#shells.set(id, { ...s, ready: true });
    return Promise.resolve(s !== undefined);
  }

  release(id: string): Promise<boolean> {
    return Promise.resolve(this.#shells.delete(id));
  }

  pick(flavor: string, nodeCount: number): Promise<WarmShell | undefined> {
    const fits = [...this.#shells.values()].filter((s) => s.ready && s.flavor === flavor && s.nodeCount <= nodeCount);
    return Promise.resolve(fits.sort((a, b) => b.nodeCount - a.nodeCount)[0]);
  }

  /** A create takes the ready shell `id` (the store does it in the cluster's insert). */
  take(id: string): boolean {
    return this.#shells.get(id)?.ready === true && this.#shells.delete(id);
  }
}
