import { describe, expect, it } from 'vitest';
import { judgeHost } from './host-health.js';

const at = (s: number) => new Date(s * 1000);
const host = (state: 'ready' | 'draining' | 'down', lastSeen: number | null) => ({ state, lastSeenAt: lastSeen === null ? null : at(lastSeen), createdAt: at(0) });

describe('judgeHost', () => {
  it.each([
    ['an answering host is seen', host('ready', 10), true, 100, 'seen'],
    ['an answering draining host is seen', host('draining', 10), true, 100, 'seen'],
    ['a down host that answers is back', host('down', 10), true, 100, 'back'],
    ['silent for less than the limit: wait', host('ready', 80), false, 100, 'wait'],
    ['silent for exactly the limit: down', host('ready', 70), false, 100, 'down'],
    ['silent for longer: down', host('draining', 10), false, 100, 'down'],
    ['never seen, registered long ago: down', host('ready', null), false, 100, 'down'],
    ['never seen, registered just now: wait', host('ready', null), false, 20, 'wait'],
    ['already down and silent: wait', host('down', 10), false, 100, 'wait'],
  ] as const)('%s', (_, h, answered, now, kind) => {
    expect(judgeHost(h, answered, now * 1000, 30_000).kind).toBe(kind);
  });

  it('says how long the host has been silent', () => {
    expect(judgeHost(host('ready', 10), false, 100_000, 30_000)).toEqual({ kind: 'down', silentMs: 90_000 });
  });
});
