import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaosPlan, runChaos } from './support/chaos.js';
import { TestServer } from './support/server.js';

// A short seeded chaos run (issue 15): random operations, each followed by a kill -9 of the control
// plane at a random moment and a restart; every cluster must reach what its last accepted request
// asked for, its bundle must work, and nothing of a deleted cluster may be left. The long run:
// `npm run chaos -- --seed N --points P` (docs/reliability.md).
const SEED = Number(process.env.CARINA_CHAOS_SEED ?? 11);
const POINTS = Number(process.env.CARINA_CHAOS_POINTS ?? 10);

describe(`seeded chaos (seed ${SEED}, ${POINTS} kill points)`, () => {
  const server = new TestServer('chaos');
  let key = '';

  beforeAll(async () => {
    await server.start();
    key = await server.createAccount('chaos', '--clusters', '2', '--nodes', '6');
  });
  afterAll(() => server.cleanup());

  it('converges after every kill -9, with working credentials and no orphans', async () => {
    const report = await runChaos(server, key, chaosPlan(SEED, POINTS), (line) => console.log(`chaos: ${line}`));
    const sorted = [...report.convergeMs].sort((a, b) => a - b);
    console.log(`chaos: ${report.accepted} of ${report.points} operations accepted; converge after restart median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`);
    expect(report.failures).toEqual([]);
    expect(report.orphans).toEqual([]);
    expect(report.accepted).toBeGreaterThan(0);
  });
});
