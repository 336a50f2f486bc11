import { SqliteDialect, type DatabaseConnection, type Driver, type QueryCompiler, type TransactionSettings } from 'kysely';

/**
 * A lock whose waiters are served one at a time, in arrival order: a release wakes exactly the next
 * one. (Kysely's SQLite driver has every waiter await one shared promise, so each release wakes them
 * all and all but one wait again: 10,000 queries at once took 32 s, 1,000 took 0.4 s.)
 */
export class FifoLock {
  readonly #waiting: (() => void)[] = [];
  #held = false;

  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next(); // handed over: still held
    else this.#held = false;
  }

  /** Waiters queued behind the holder. */
  get queued(): number {
    return this.#waiting.length;
  }
}

/**
 * Kysely's SQLite dialect with its one connection handed out through a FifoLock: the driver's own
 * lock then never has more than one waiter. Everything else is Kysely's driver.
 */
export class FifoSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    return new FifoDriver(super.createDriver());
  }
}

class FifoDriver implements Driver {
  readonly #inner: Driver;
  readonly #lock = new FifoLock();

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lock.acquire();
    try {
      return await this.#inner.acquireConnection();
    } catch (e) {
      this.#lock.release();
      throw e;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.releaseConnection(connection);
    } finally {
      this.#lock.release();
    }
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.#inner.savepoint?.(connection, name, compile);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.#inner.rollbackToSavepoint?.(connection, name, compile);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.#inner.releaseSavepoint?.(connection, name, compile);
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}
