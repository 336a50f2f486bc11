import { setTimeout as sleep } from 'node:timers/promises';
import { Option, type Command } from 'commander';
import type { ApiClient } from './api-client.js';
import { parseDuration } from './args.js';
import type { Context, Io } from './context.js';
import { usageError } from './errors.js';
import { clusterTable } from './format.js';
import type { Cluster, ShownCluster } from './types.js';
import { pollDelay, progressText, waitFor, type WaitGoal } from './wait.js';
import { Wakeup } from './wakeup.js';

/** Builds the Context of the command being run (global options merged in). */
export type MakeContext = (command: Command) => Context;

/** Options of commands that can wait. */
export interface WaitFlags {
  readonly wait?: boolean;
  readonly timeout?: string;
}

/** Adds `--wait` and `--timeout D`. */
export function withWait(command: Command, what: string): Command {
  return command
    .option('--wait', `wait until ${what}, showing progress`)
    .addOption(new Option('--timeout <duration>', 'with --wait: give up after this long (e.g. 90s, 5m; default 10m)'));
}

/** The wait bound in ms, or undefined when not waiting; --timeout without --wait is a usage error. */
export function waitBound(flags: WaitFlags): number | undefined {
  if (!flags.wait) {
    if (flags.timeout !== undefined) throw usageError('--timeout only applies with --wait');
    return undefined;
  }
  return flags.timeout === undefined ? DEFAULT_WAIT_TIMEOUT_MS : parseDuration(flags.timeout);
}

/** Prints one cluster: Carina's row, or the API's JSON object with --json. */
export function printCluster(ctx: Context, cluster: ShownCluster): void {
  ctx.print(cluster, clusterTable([cluster]));
  if (!ctx.json && cluster.status === 'error' && cluster.status_reason) {
    ctx.io.err(`carina: ${cluster.name} is in error: ${cluster.status_reason}\n`);
  }
}

/** A non-fatal warning on stderr. */
export function warn(ctx: Context, message: string): void {
  ctx.io.err(`carina: warning: ${message}\n`);
}

/** Default bound of `--wait` when `--timeout` is absent. */
export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000;

/**
 * Shows wait progress on stderr: on a TTY one live line rewritten in place; otherwise a plain line
 * each time the status or the Ready count changes.
 */
export function progressReporter(io: Io, name: string): { update: (c: Cluster | undefined, elapsedMs: number) => void; finish: () => void } {
  let live = false;
  let lastKey = '';
  return {
    update(cluster, elapsedMs) {
      const text = progressText(name, cluster, elapsedMs);
      if (io.stderrIsTTY) {
        io.err(`\r\x1b[2K${text}`);
        live = true;
        return;
      }
      const key = cluster ? `${cluster.status}/${cluster.nodes_ready ?? 0}/${cluster.nodes}` : 'gone';
      if (key !== lastKey) io.err(`${text}\n`);
      lastKey = key;
    },
    finish() {
      if (live) io.err('\n');
      live = false;
    },
  };
}

/** While the event stream is live, the cluster is looked at on each of its events and at least this often. */
const STREAM_RECHECK_MS = 2000;

/**
 * Watches the cluster until it reaches `goal`, showing progress; see `waitFor`. The cluster's event
 * stream wakes the wait at each event (a status changes with one); without a stream (an older server,
 * an error) it polls as it always did.
 */
export async function waitForCluster(io: Io, api: ApiClient, name: string, goal: WaitGoal, timeoutMs: number): Promise<Cluster | undefined> {
  const progress = progressReporter(io, name);
  const wakeup = new Wakeup();
  const stop = new AbortController();
  let streaming = true;
  const ended = (): void => {
    streaming = false;
    wakeup.wake();
  };
  const following = api.followEvents(name, { onEvent: () => wakeup.wake(), signal: stop.signal }).then(ended, ended);
  try {
    return await waitFor(name, goal, timeoutMs, {
      observe: () => api.find(name),
      onProgress: progress.update,
      delay: (elapsed) => (streaming ? STREAM_RECHECK_MS : pollDelay(elapsed)),
      sleep: (ms) => (streaming ? wakeup.wait(ms) : sleep(ms)),
      now: () => Date.now(),
    });
  } finally {
    stop.abort();
    await following;
    progress.finish();
  }
}
