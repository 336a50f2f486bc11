/**
 * Standalone checks of bench/api-setup.ts and the API options of bench/options.ts: `npm run bench:check`.
 * Exits non-zero on the first failed assertion.
 */
import assert from 'node:assert/strict';
import { databaseUrl, redactUrl, seedAccountName, seedPorts, seedSlot } from './api-setup.js';
import { parseOptions, type BenchOptions } from './options.js';
import { pick, type BenchResults } from './report.js';

// One account: the names and ports the scenario seeded before accounts were added.
assert.deepEqual(seedPorts(1000), { from: 31_668, to: 32_767 });
assert.deepEqual(seedSlot(0, 1000, 1), { account: 0, name: 'seed-0000', port: 31_668 });
assert.deepEqual(seedSlot(999, 1000, 1), { account: 0, name: 'seed-0999', port: 32_667 });
assert.deepEqual(seedPorts(50), { from: 32_618, to: 32_767 });

// 10,000 over 100 accounts: round-robin, 100 each, names unique within an account, ports unique and in range.
const slots = Array.from({ length: 10_000 }, (_, i) => seedSlot(i, 10_000, 100));
const perAccount = new Map<number, Set<string>>();
for (const s of slots) perAccount.set(s.account, (perAccount.get(s.account) ?? new Set()).add(s.name));
assert.equal(perAccount.size, 100);
for (const names of perAccount.values()) assert.equal(names.size, 100);
assert.deepEqual(slots[0], { account: 0, name: 'seed-0000', port: 22_668 });
assert.deepEqual(slots[101], { account: 1, name: 'seed-0001', port: 22_769 });
assert.equal(new Set(slots.map((s) => s.port)).size, 10_000);
assert.ok(slots.every((s) => s.port >= 1024 && s.port <= 32_767));
assert.throws(() => seedSlot(0, 1000, 3), RangeError);
assert.throws(() => seedSlot(1000, 1000, 1), RangeError);

assert.equal(seedAccountName(0), 'bench');
assert.equal(seedAccountName(7), 'bench-007');

assert.equal(databaseUrl('postgres://carina@127.0.0.1:17555/postgres', 'carina_bench_1'), 'postgres://carina@127.0.0.1:17555/carina_bench_1');
assert.equal(databaseUrl('postgresql://u:p@h/db?sslmode=disable', 'x_1'), 'postgresql://u:p@h/x_1?sslmode=disable');
assert.throws(() => databaseUrl('postgres://h/db', 'x; DROP'));
assert.equal(redactUrl('postgres://u:secret@h:1/db'), 'postgres://u:***@h:1/db');
assert.equal(redactUrl('postgres://u@h/db'), 'postgres://u@h/db');

// Options: the defaults are unchanged; the new ones are validated.
const api = (argv: string[], env: NodeJS.ProcessEnv = {}): BenchOptions['api'] => {
  const o = parseOptions(argv, env);
  assert.notEqual(o, 'help');
  return (o as BenchOptions).api;
};
assert.deepEqual(api([]), { clusters: 1000, rates: [100, 1000], durationSec: 10, warmupSec: 1, serverNodeOptions: undefined, create: false, accounts: 1, store: 'sqlite' });
assert.deepEqual(api(['--smoke']), { clusters: 50, rates: [100], durationSec: 3, warmupSec: 1, serverNodeOptions: undefined, create: false, accounts: 1, store: 'sqlite' });
assert.equal(api(['--api-clusters', '10000', '--api-accounts', '100']).accounts, 100);
assert.equal(api(['--api-create']).create, true);
assert.throws(() => parseOptions(['--api-clusters', '1000', '--api-accounts', '3'], {}), /must divide/);
assert.throws(() => parseOptions(['--api-store', 'mysql'], {}), /unknown store/);
assert.throws(() => parseOptions(['--api-store', 'postgres'], {}), /CARINA_BENCH_POSTGRES_URL/);
assert.equal(api(['--api-store', 'postgres'], { CARINA_BENCH_POSTGRES_URL: 'postgres://carina@127.0.0.1:17555/postgres' }).store, 'postgres');
assert.ok(!JSON.stringify(parseOptions(['--api-store', 'postgres'], { CARINA_BENCH_POSTGRES_URL: 'postgres://u:secret@h/db' })).includes('secret'), 'the URL is not kept in the options');

// The generated section shows the default setup's API figures, not a later PostgreSQL or many-account run.
const run = (id: string, api: object): BenchResults => ({ id, mode: 'full', status: 'complete', api }) as unknown as BenchResults;
const old = run('a', { clustersSeeded: 1000 });
const sqlite = run('b', { clustersSeeded: 1000, accounts: 1, store: { kind: 'sqlite' } });
const onPg = run('c', { clustersSeeded: 1000, accounts: 1, store: { kind: 'postgres' } });
const many = run('d', { clustersSeeded: 10000, accounts: 100, store: { kind: 'sqlite' } });
assert.equal(pick([old, onPg, many], 'api')?.id, 'a');
assert.equal(pick([old, sqlite, onPg, many], 'api')?.id, 'b');
assert.equal(pick([onPg], 'api'), undefined);

process.stdout.write('bench/api-setup.check.ts: ok\n');
