import { setMaxListeners } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { memInfo } from './machine.js';

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** Raised (as the abort reason) when the run must stop: Ctrl-C, the time limit, low host memory. */
export class BenchAborted extends Error {
  override readonly name = 'BenchAborted';
}

interface Cleanup {
  readonly name: string;
  readonly fn: () => Promise<void>;
}

/**
 * Keeps an unattended run bounded and tidy: a time limit, a host-memory watchdog, Ctrl-C handling,
 * and a stack of clean-ups (run last-in first-out, each bounded) that remove everything the run made.
 */
export class Guard {
  readonly #controller = new AbortController();
  readonly #cleanups: Cleanup[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  #signals = 0;
  #cleaning: Promise<void> | undefined;

  constructor(readonly options: { readonly timeoutMs: number; readonly hardMemFloorBytes: number }) {
    setMaxListeners(1_000, this.#controller.signal); // every concurrent wait listens to it
  }

  /** Aborted when the run must stop; pass it to every wait. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Throws BenchAborted if the run must stop. */
  check(): void {
    if (this.signal.aborted) throw this.signal.reason instanceof Error ? this.signal.reason : new BenchAborted(String(this.signal.reason));
  }

  abort(reason: string): void {
    if (this.signal.aborted) return;
    log(`stopping: ${reason}`);
    this.#controller.abort(new BenchAborted(reason));
  }

  /** Sleeps `ms`, or throws as soon as the run is aborted. */
  async sleep(ms: number): Promise<void> {
    this.check();
    try {
      await sleep(ms, undefined, { signal: this.signal });
    } catch {
      this.check();
    }
  }

  /** Registers a clean-up; the returned function runs it now (and unregisters it). */
  defer(name: string, fn: () => Promise<void>): () => Promise<void> {
    const entry: Cleanup = { name, fn };
    this.#cleanups.push(entry);
    return async () => {
      const i = this.#cleanups.indexOf(entry);
      if (i < 0) return;
      this.#cleanups.splice(i, 1);
      await runBounded(entry);
    };
  }

  /** Runs every registered clean-up (last registered first). Safe to call more than once. */
  cleanupAll(): Promise<void> {
    this.#cleaning ??= (async () => {
      while (this.#cleanups.length > 0) {
        const entry = this.#cleanups.pop() as Cleanup;
        await runBounded(entry);
      }
    })().finally(() => {
      this.#cleaning = undefined;
    });
    return this.#cleaning;
  }

  /** Installs the time limit, the memory watchdog and the signal handlers. */
  install(): void {
    const deadline = setTimeout(() => this.abort(`the time limit of ${Math.round(this.options.timeoutMs / 60_000)} min was reached`), this.options.timeoutMs);
    deadline.unref();
    const watchdog = setInterval(() => {
      const available = memInfo().availableBytes;
      if (available < this.options.hardMemFloorBytes) {
        this.abort(`host MemAvailable fell to ${(available / 1024 ** 3).toFixed(1)} GiB (hard floor ${(this.options.hardMemFloorBytes / 1024 ** 3).toFixed(1)} GiB)`);
      }
    }, 2_000);
    watchdog.unref();
    this.#timers.push(deadline, watchdog);
    const onSignal = (sig: NodeJS.Signals) => {
      this.#signals++;
      if (this.#signals === 1) {
        this.abort(`${sig} received; cleaning up (press Ctrl-C twice more to abandon the clean-up)`);
      } else if (this.#signals === 2) {
        log('clean-up in progress; press Ctrl-C once more to exit now (the next bench run removes what is left)');
      } else {
        log('exiting without finishing the clean-up');
        process.exit(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
  }

  dispose(): void {
    for (const t of this.#timers) clearTimeout(t);
  }
}

async function runBounded(entry: Cleanup, limitMs = 180_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      entry.fn(),
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not finish within ${limitMs / 1000} s`)), limitMs);
      }),
    ]);
  } catch (e) {
    log(`clean-up "${entry.name}" failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const LOCK = join(tmpdir(), 'carina-bench.lock');

/** One bench run at a time on a machine (they would measure each other). Returns the release function. */
export function takeLock(): () => void {
  let holder: number | undefined;
  try {
    holder = Number(readFileSync(LOCK, 'utf8').trim());
  } catch {
    holder = undefined;
  }
  if (holder && holder !== process.pid && alive(holder)) {
    throw new Error(`another benchmark run (pid ${holder}) is in progress (lock ${LOCK})`);
  }
  writeFileSync(LOCK, `${process.pid}\n`);
  return () => {
    try {
      if (readFileSync(LOCK, 'utf8').trim() === String(process.pid)) rmSync(LOCK);
    } catch {
      /* already gone */
    }
  };
}
