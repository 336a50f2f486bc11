import { afterAll, afterEach } from 'vitest';
import { serverLogTails } from './server.js';

// CI keeps only what a run prints: when an end-to-end test fails, print what the control planes
// of its file logged last (the reconciler's retries and errors say why a cluster did not converge).
const LINES = 25;

afterEach((context) => {
  if (context.task.result?.state !== 'fail') return;
  const tails = serverLogTails(LINES);
  if (tails) console.error(`"${context.task.name}" failed; what the servers logged:\n${tails}`);
});

interface TaskLike {
  readonly name: string;
  readonly result?: { readonly errors?: readonly unknown[] } | undefined;
  readonly tasks?: readonly TaskLike[];
}

/** Suites whose own hooks failed (a beforeAll that could not create the cluster: its tests are skipped). */
function failedHooks(task: TaskLike): string[] {
  const own = task.tasks !== undefined && (task.result?.errors?.length ?? 0) > 0 ? [task.name] : [];
  return [...own, ...(task.tasks ?? []).flatMap(failedHooks)];
}

// vitest requires the (unused) context as an object pattern; the file's suite is the second argument.
// eslint-disable-next-line no-empty-pattern
afterAll(({}, file) => {
  const failed = failedHooks(file);
  if (failed.length === 0) return;
  const tails = serverLogTails(LINES);
  if (tails) console.error(`a hook of "${failed.join('", "')}" failed; what the servers logged:\n${tails}`);
});
