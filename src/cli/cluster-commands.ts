import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { CREATE_DEFAULTS, NODES } from '../wire/limits.js';
import type { ApiClient } from './api-client.js';
import { checkClusterName, growAmount, parseCount, parseOnOff } from './args.js';
import { removeCredentialsDir } from './bundle-store.js';
import { printCluster, waitBound, waitForCluster, warn, withWait, type MakeContext, type WaitFlags } from './command-kit.js';
import type { Context } from './context.js';
import { clusterTable } from './format.js';
import type { Cluster } from './types.js';

/** Waits for the cluster to be active with every node Ready when asked, then prints it. */
async function finish(ctx: Context, api: ApiClient, cluster: Cluster, bound: number | undefined): Promise<void> {
  const final = bound === undefined ? cluster : await waitForCluster(ctx.io, api, cluster.name, 'active', bound);
  printCluster(ctx, final ?? cluster);
}

/** create, ls, get, grow, resize, autoscale, rebuild, rm. */
export function registerClusterCommands(program: Command, make: MakeContext): void {
  withWait(program.command('create').description('create a cluster').argument('<name>', 'cluster name'), 'the cluster is active')
    .option('--nodes <n>', `number of nodes (default ${CREATE_DEFAULTS.nodes}, at most ${NODES.max})`)
    .option('--autoscale', 'let the cluster add nodes when it runs out of capacity')
    .option('--flavor <flavor>', `node flavor (see "carina flavors"; default ${CREATE_DEFAULTS.flavor})`)
    .addOption(new Option('--template <flavor>', 'the old CLI spelling of --flavor').hideHelp())
    .action(async (name: string, o: WaitFlags & { nodes?: string; autoscale?: boolean; flavor?: string; template?: string }, cmd: Command) => {
      const ctx = make(cmd);
      checkClusterName(name);
      const nodes = o.nodes === undefined ? undefined : parseCount(o.nodes, '--nodes');
      const bound = waitBound(o);
      const api = await ctx.api();
      const cluster = await api.create({ name, nodes, autoscale: o.autoscale, flavor: o.flavor ?? o.template });
      await finish(ctx, api, cluster, bound);
    });

  program
    .command('ls')
    .aliases(['list', 'clusters'])
    .description('list your clusters')
    .option('-q, --quiet', 'print only the names')
    .action(async (o: { quiet?: boolean }, cmd: Command) => {
      const ctx = make(cmd);
      const clusters = await (await ctx.api()).list();
      const human = o.quiet ? clusters.map((c) => `${c.name}\n`).join('') : clusterTable(clusters);
      ctx.print({ clusters }, human);
    });

  withWait(program.command('get').alias('inspect').description('show a cluster').argument('<name>', 'cluster name'), 'the cluster is active').action(
    async (name: string, o: WaitFlags, cmd: Command) => {
      const ctx = make(cmd);
      const bound = waitBound(o);
      const api = await ctx.api();
      await finish(ctx, api, await api.get(checkClusterName(name)), bound);
    },
  );

  withWait(program.command('grow').description('add nodes to a cluster').argument('<name>', 'cluster name'), 'the new nodes are Ready')
    .option('--by <n>', 'number of nodes to add')
    .addOption(new Option('--nodes <n>', 'the earliest CLI spelling of --by (also "add N")').hideHelp())
    .action(async (name: string, o: WaitFlags & { by?: string; nodes?: string }, cmd: Command) => {
      const ctx = make(cmd);
      checkClusterName(name);
      const by = growAmount(o.by, o.nodes);
      const bound = waitBound(o);
      const api = await ctx.api();
      await finish(ctx, api, await api.grow(name, by), bound);
    });

  withWait(program.command('resize').description('set the number of nodes of a cluster').argument('<name>', 'cluster name'), 'every node is Ready')
    .requiredOption('--nodes <n>', 'the number of nodes wanted')
    .action(async (name: string, o: WaitFlags & { nodes: string }, cmd: Command) => {
      const ctx = make(cmd);
      checkClusterName(name);
      const count = parseCount(o.nodes, '--nodes');
      const bound = waitBound(o);
      const api = await ctx.api();
      await finish(ctx, api, await api.resize(name, count), bound);
    });

  program
    .command('autoscale')
    .description('turn autoscale on or off')
    .argument('<name>', 'cluster name')
    .argument('<on|off>', 'on or off')
    .action(async (name: string, state: string, _o: unknown, cmd: Command) => {
      const ctx = make(cmd);
      checkClusterName(name);
      const enabled = parseOnOff(state);
      printCluster(ctx, await (await ctx.api()).setAutoscale(name, enabled));
    });

  withWait(program.command('rebuild').description('re-run every step of an active or failed cluster').argument('<name>', 'cluster name'), 'the cluster is active again').action(
    async (name: string, o: WaitFlags, cmd: Command) => {
      const ctx = make(cmd);
      checkClusterName(name);
      const bound = waitBound(o);
      const api = await ctx.api();
      await finish(ctx, api, await api.rebuild(name), bound);
    },
  );

  withWait(program.command('rm').alias('delete').description('delete a cluster and its local credentials').argument('<name>', 'cluster name'), 'the cluster is gone').action(
    async (name: string, o: WaitFlags, cmd: Command) => {
      const ctx = make(cmd);
      checkClusterName(name);
      const bound = waitBound(o);
      const api = await ctx.api();
      const cluster = await api.delete(name);
      await removeLocalCredentials(ctx, name);
      if (bound !== undefined) await waitForCluster(ctx.io, api, name, 'gone', bound);
      printCluster(ctx, bound === undefined ? cluster : { ...cluster, status: 'deleted' });
    },
  );
}

async function removeLocalCredentials(ctx: Context, name: string): Promise<void> {
  const dir = await ctx.defaultCredentialsDir(name);
  try {
    if (await removeCredentialsDir(dir, join(ctx.home, 'clusters'), ctx.io.cwd, ctx.io.home)) ctx.debug(`removed ${dir}`);
  } catch (error) {
    warn(ctx, (error as Error).message);
  }
}
