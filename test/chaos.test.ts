import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaosPlan, runChaos } from './support/chaos.js';
import { postgresReplicasTarget, sqliteTarget, type ChaosTarget } from './support/chaos-target.js';

// A short seeded chaos run (issue 15): random operations, each followed by a kill -9 of the control
// plane at a random moment and a restart; every cluster must reach what its last accepted request
// asked for, its bundle must work, and nothing of a deleted cluster may be left. On SQLite the one
// control plane is killed; on PostgreSQL (with CARINA_TEST_POSTGRES_URL) two replicas share the
// store and the one that leads is killed. The long run: `npm run chaos -- --seed N --points P
// [--store postgres]` (docs/reliability.md).
const SEED = Number(process.env.CARINA_CHAOS_SEED ?? 11);
const POINTS = Number(process.env.CARINA_CHAOS_POINTS ?? 10);
const PG_SEED = Number(process.env.CARINA_CHAOS_PG_SEED ?? 13);
// 4 points: 62 s in all when measured on the loaded 2-core machine (a replica's restart is most of a point).
const PG_POINTS = Number(process.env.CARINA_CHAOS_PG_POINTS ?? 4);
const postgresUrl = process.env.CARINA_TEST_POSTGRES_URL;

function campaign(title: string, open: () => Promise<ChaosTarget>, seed: number, points: number, timeoutMs: number, skip = false): void {
  describe.skipIf(skip)(`seeded chaos, ${title} (seed ${seed}, ${points} kill points)`, () => {
    let target: ChaosTarget | undefined;
    let key = '';

    beforeAll(async () => {
      target = await open();
      key = await target.createAccount('chaos', '--clusters', '2', '--nodes', '6');
    });
    afterAll(() => target?.cleanup());

    it('converges after every kill -9, with working credentials and no orphans', { timeout: timeoutMs }, async () => {
      const report = await runChaos(target as ChaosTarget, key, chaosPlan(seed, points), (line) => console.log(`chaos: ${line}`));
      const sorted = [...report.convergeMs].sort((a, b) => a - b);
      console.log(`chaos (${title}): ${report.accepted} of ${report.points} operations accepted; converge after restart median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`);
      expect(report.failures).toEqual([]);
      expect(report.orphans).toEqual([]);
      expect(report.converged).toBe(points);
      expect(report.accepted).toBeGreaterThan(0);
    });
  });
}

campaign('SQLite', sqliteTarget, SEED, POINTS, 180_000);
campaign('PostgreSQL, two replicas, leader killed', () => postgresReplicasTarget(postgresUrl ?? ''), PG_SEED, PG_POINTS, 240_000, !postgresUrl);
