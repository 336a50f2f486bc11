import { describe, expect, it } from 'vitest';
import type { CliError } from './errors.js';
import type { Cluster } from './types.js';
import { judge, pollDelay, progressText, waitFor } from './wait.js';

const base: Cluster = {
  id: 'i',
  name: 'demo',
  flavor: 'container1-4G',
  nodes: 2,
  nodes_ready: 0,
  autoscale: false,
  status: 'building',
  status_reason: null,
  endpoint: 'tcp://127.0.0.1:1',
  created_at: '',
  updated_at: '',
};
const at = (over: Partial<Cluster>): Cluster => ({ ...base, ...over });

/** A fake clock: sleeping advances it; observations come from a script. */
function fake(observations: (Cluster | undefined)[]) {
  let now = 0;
  const slept: number[] = [];
  const seen: string[] = [];
  return {
    slept,
    seen,
    deps: {
      observe: () => Promise.resolve(observations.length > 1 ? observations.shift() : observations[0]),
      onProgress: (c: Cluster | undefined, ms: number) => void seen.push(progressText('demo', c, ms)),
      sleep: (ms: number) => {
        slept.push(ms);
        now += ms;
        return Promise.resolve();
      },
      now: () => now,
    },
  };
}

describe('judge', () => {
  it('is done when active with every node Ready, or gone for rm', () => {
    expect(judge('active', at({ status: 'active', nodes_ready: 2 })).state).toBe('done');
    expect(judge('active', at({ status: 'active', nodes_ready: 1 })).state).toBe('pending');
    expect(judge('active', at({ status: 'growing', nodes_ready: 2 })).state).toBe('pending');
    expect(judge('gone', undefined).state).toBe('done');
    expect(judge('gone', at({ status: 'deleting' })).state).toBe('pending');
  });

  it('fails with the reason on error, and when the cluster vanished', () => {
    expect(judge('active', at({ status: 'error', status_reason: 'engine down: rebuild' }))).toEqual({ state: 'failed', reason: 'engine down: rebuild' });
    expect(judge('active', undefined).state).toBe('failed');
  });
});

describe('waitFor', () => {
  it('returns at the first observation that is done, without sleeping first', async () => {
    const f = fake([at({ status: 'active', nodes_ready: 2 })]);
    expect((await waitFor('demo', 'active', 1000, f.deps))?.status).toBe('active');
    expect(f.slept).toEqual([]);
  });

  it('polls quickly and reports progress until done', async () => {
    const f = fake([at({}), at({ nodes_ready: 1 }), at({ status: 'active', nodes_ready: 2 })]);
    await waitFor('demo', 'active', 60_000, f.deps);
    expect(f.slept).toEqual([250, 250]);
    expect(f.seen).toEqual(['demo: building, 0/2 nodes Ready, 0ms', 'demo: building, 1/2 nodes Ready, 250ms', 'demo: active, 2/2 nodes Ready, 500ms']);
  });

  it('fails with exit 1 and the reason when the cluster goes to error', async () => {
    const f = fake([at({}), at({ status: 'error', status_reason: 'node 1 did not start: retry with carina rebuild' })]);
    const error = await waitFor('demo', 'active', 60_000, f.deps).catch((e: unknown) => e as CliError);
    expect(error).toMatchObject({ code: 'CARINA_ERR_CLUSTER_FAILED', exitCode: 1 });
    expect((error as CliError).message).toContain('node 1 did not start');
  });

  it('times out with exit 7 naming the status reached', async () => {
    const f = fake([at({ nodes_ready: 1 })]);
    const error = await waitFor('demo', 'active', 1000, f.deps).catch((e: unknown) => e as CliError);
    expect(error).toMatchObject({ code: 'CARINA_ERR_TIMEOUT', exitCode: 7 });
    expect((error as CliError).message).toMatch(/after 1.0s \(status "building", 1\/2 nodes Ready\)/);
  });

  it('waits as long as the given delay says (a stream wakes it sooner), never past the timeout', async () => {
    const f = fake([at({}), at({}), at({ status: 'active', nodes_ready: 2 })]);
    await waitFor('demo', 'active', 3000, { ...f.deps, delay: () => 2000 });
    expect(f.slept).toEqual([2000, 1000]);
  });

  it('backs off to at most 2 s between polls', () => {
    expect([pollDelay(0), pollDelay(15_000), pollDelay(120_000)]).toEqual([250, 1000, 2000]);
  });
});
