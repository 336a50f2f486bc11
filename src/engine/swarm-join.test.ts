import { describe, expect, it } from 'vitest';
import { joinSwarm, type JoiningEngine } from './swarm-join.js';

const TIMEOUT = 'Timeout was reached before node joined. The attempt to join the swarm will continue in the background. Use the "docker info" command to see the current swarm status of your node.';

/** An engine whose join answers `joined` (or throws it) and whose state then goes through `states`. */
function engine(joined: Error | null, states: string[]): JoiningEngine & { asked: number } {
  const e = {
    asked: 0,
    join: () => (joined ? Promise.reject(joined) : Promise.resolve()),
    state: () => {
      const state = states[Math.min(e.asked, states.length - 1)] ?? 'inactive';
      e.asked++;
      return Promise.resolve({ state, error: state === 'error' ? 'rpc error: code = Unavailable' : undefined });
    },
  };
  return e;
}

describe('joinSwarm', () => {
  it('returns at once when the join answers, without asking the state', async () => {
    const e = engine(null, ['inactive']);
    await joinSwarm(e, 1_000, 1);
    expect(e.asked).toBe(0);
  });

  it('waits for a join Docker continues in the background until the engine is active', async () => {
    const e = engine(new Error(`(HTTP code 503) unexpected - ${TIMEOUT}`), ['pending', 'pending', 'active']);
    await joinSwarm(e, 1_000, 1);
    expect(e.asked).toBe(3);
  });

  it('fails with what the engine says when the background join ends in error', async () => {
    const e = engine(new Error(TIMEOUT), ['pending', 'error']);
    await expect(joinSwarm(e, 1_000, 1)).rejects.toThrow('the join Docker continued in the background ended error: rpc error: code = Unavailable');
  });

  it('fails once the background join has not completed in time', async () => {
    const e = engine(new Error(TIMEOUT), ['pending']);
    await expect(joinSwarm(e, 20, 1)).rejects.toThrow(/had not completed after 0 s more \(swarm state pending\)/);
  });

  it('passes any other failure on unchanged', async () => {
    const refused = new Error('(HTTP code 400) bad parameter - invalid join token');
    const e = engine(refused, ['active']);
    await expect(joinSwarm(e, 1_000, 1)).rejects.toBe(refused);
    expect(e.asked).toBe(0);
  });
});
