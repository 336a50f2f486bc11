import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { Store } from '../core/ports.js';
import { accountNameProblem } from '../core/validation.js';
import { generateApiKey, hashApiKey } from '../api/api-keys.js';
import type { ServerConfig } from '../config/config.js';

type Out = (line: string) => void;
type WithStore = <T>(fn: (store: Store) => Promise<T>) => Promise<T>;

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CarinaError(ErrorCode.VALIDATION, `expected a positive integer, got "${v}"`);
  return n;
};

/** GiB, decimals allowed (0.5 = 512 MiB), as whole bytes. */
const gibibytes = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1_000_000) throw new CarinaError(ErrorCode.VALIDATION, `expected a number of GiB (e.g. 10 or 0.5), got "${v}"`);
  return Math.round(n * 2 ** 30);
};

/** A size in the units people read: GiB with up to two decimals, or MiB below 1 GiB. */
export function describeBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${Number((bytes / 2 ** 30).toFixed(2))} GiB` : `${Number((bytes / 2 ** 20).toFixed(1))} MiB`;
}

async function mustFind(store: Store, name: string) {
  const account = await store.accounts.findByName(name);
  if (!account) throw new CarinaError(ErrorCode.ACCOUNT_NOT_FOUND, `no account named "${name}": see carina-server accounts list`);
  return account;
}

/** `carina-server accounts …`: administration straight on the store. */
export function registerAccountCommands(program: Command, config: ServerConfig, withStore: WithStore, out: Out): void {
  const accounts = program.command('accounts').description('manage accounts and their API keys');

  accounts
    .command('create <name>')
    .description('create an account and print its API key (shown once)')
    .option('--clusters <n>', 'cluster quota', positiveInt)
    .option('--nodes <n>', 'nodes-per-cluster quota', positiveInt)
    .action((name: string, opts: { clusters?: number; nodes?: number }) =>
      withStore(async (store) => {
        const problem = accountNameProblem(name);
        if (problem) throw new CarinaError(ErrorCode.VALIDATION, problem);
        const id = randomBytes(8).toString('hex');
        const key = generateApiKey(id);
        await store.accounts.create({
          id,
          name,
          keyHash: await hashApiKey(key),
          quotaClusters: opts.clusters ?? config.defaultQuotaClusters,
          quotaNodes: opts.nodes ?? config.defaultQuotaNodes,
        });
        out(`Created account ${name}. Its API key (shown only once, store it now):`);
        out(key);
      }),
    );

  accounts
    .command('list')
    .alias('ls')
    .description('list accounts')
    .action(() =>
      withStore(async (store) => {
        const rows = await store.accounts.list();
        out(['NAME', 'CLUSTERS', 'MAX CLUSTERS', 'MAX NODES', 'REGISTRY QUOTA', 'CREATED'].join('\t'));
        for (const a of rows) {
          const used = await store.clusters.countByAccount(a.id);
          const registry = a.registryQuotaBytes === null ? `${describeBytes(config.defaultRegistryQuotaBytes)} (default)` : describeBytes(a.registryQuotaBytes);
          out([a.name, used, a.quotaClusters, a.quotaNodes, registry, a.createdAt.toISOString()].join('\t'));
        }
      }),
    );

  accounts
    .command('rotate-key <name>')
    .description('replace the API key of an account (the old one stops working) and print the new one')
    .action((name: string) =>
      withStore(async (store) => {
        const account = await mustFind(store, name);
        const key = generateApiKey(account.id);
        await store.accounts.updateKeyHash(account.id, await hashApiKey(key));
        out(`New API key of ${name} (shown only once):`);
        out(key);
      }),
    );

  accounts
    .command('set-quota <name>')
    .description('change the quotas of an account')
    .option('--clusters <n>', 'cluster quota', positiveInt)
    .option('--nodes <n>', 'nodes-per-cluster quota', positiveInt)
    .option('--registry-gib <n>', 'registry storage quota in GiB (decimals allowed: 0.5)', gibibytes)
    .action((name: string, opts: { clusters?: number; nodes?: number; registryGib?: number }) =>
      withStore(async (store) => {
        if (opts.clusters === undefined && opts.nodes === undefined && opts.registryGib === undefined) {
          throw new CarinaError(ErrorCode.VALIDATION, 'give --clusters N, --nodes N and/or --registry-gib N');
        }
        const account = await mustFind(store, name);
        const updated = await store.accounts.setQuota(account.id, { clusters: opts.clusters, nodes: opts.nodes, registryBytes: opts.registryGib });
        const registry = describeBytes(updated.registryQuotaBytes ?? config.defaultRegistryQuotaBytes);
        out(`${name}: at most ${updated.quotaClusters} clusters of at most ${updated.quotaNodes} nodes, ${registry} of registry storage`);
      }),
    );

  accounts
    .command('delete <name>')
    .description('delete an account that has no clusters left')
    .action((name: string) =>
      withStore(async (store) => {
        const account = await mustFind(store, name);
        await store.accounts.delete(account.id);
        out(`Deleted account ${name}.`);
      }),
    );
}
