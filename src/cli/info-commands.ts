import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { checkClusterName } from './args.js';
import type { MakeContext } from './command-kit.js';
import { completionScript, COMPLETION_SHELLS, type CommandSpec } from './completion.js';
import { ErrorCode } from '../wire/error-codes.js';
import { CliError, usageError } from './errors.js';
import { eventLines, flavorsTable, quotasTable, toJsonLine, usageTable } from './format.js';

/** How often `events --follow` polls. */
const FOLLOW_INTERVAL_MS = 1000;

/** What completion needs to know about the command tree. */
export function describeCommands(program: Command): CommandSpec[] {
  const valued = (c: Command) => c.options.filter((o) => !o.hidden && (o.required || o.optional)).map((o) => o.long ?? '');
  const flags = (c: Command) => c.options.filter((o) => !o.hidden).map((o) => o.long ?? '');
  const root: CommandSpec = { name: '', aliases: [], description: '', options: flags(program), valueOptions: valued(program), takesCluster: false };
  return [
    root,
    ...program.commands.map((c) => ({
      name: c.name(),
      aliases: c.aliases(),
      description: c.description(),
      options: flags(c),
      valueOptions: valued(c),
      takesCluster: c.registeredArguments[0]?.name() === 'name',
    })),
  ];
}

/** quotas, usage, flavors (templates), events, version, completion. */
export function registerInfoCommands(program: Command, make: MakeContext): void {
  program
    .command('quotas')
    .description("show your account's quotas and usage")
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = make(cmd);
      const quotas = await (await ctx.api()).quotas();
      ctx.print(quotas, quotasTable(quotas));
    });

  program
    .command('usage')
    .description('show reserved and used CPU and memory per node (what autoscaling looks at)')
    .argument('<name>', 'cluster name')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = make(cmd);
      checkClusterName(name);
      const usage = await (await ctx.api()).usage(name);
      ctx.print(usage, usageTable(usage));
    });

  program
    .command('flavors')
    .alias('templates')
    .description('list node flavors')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = make(cmd);
      const flavors = await (await ctx.api()).flavors();
      ctx.print({ flavors }, flavorsTable(flavors));
    });

  program
    .command('events')
    .description("show a cluster's event log")
    .argument('<name>', 'cluster name')
    .option('-f, --follow', 'keep printing new events until the cluster is deleted (Ctrl-C to stop)')
    .action(async (name: string, o: { follow?: boolean }, cmd: Command) => {
      const ctx = make(cmd);
      checkClusterName(name);
      const api = await ctx.api();
      let events = await api.events(name);
      if (!o.follow) return ctx.print({ events }, eventLines(events));
      let last = 0;
      for (;;) {
        for (const e of events) ctx.io.out(ctx.json ? toJsonLine(e) : eventLines([e]));
        last = events.at(-1)?.id ?? last;
        await sleep(FOLLOW_INTERVAL_MS);
        try {
          events = await api.events(name, last);
        } catch (error) {
          if (!(error instanceof CliError && error.code === ErrorCode.CLUSTER_NOT_FOUND)) throw error;
          ctx.io.err(`carina: cluster ${name} is gone; stopped following\n`);
          return;
        }
      }
    });

  program
    .command('version')
    .description('print the version of this CLI')
    .action((_o: unknown, cmd: Command) => {
      const ctx = make(cmd);
      ctx.print({ version: ctx.version }, `carina version ${ctx.version}\n`);
    });

  program
    .command('completion')
    .description('print a shell completion script: source <(carina completion bash)')
    .argument('<shell>', COMPLETION_SHELLS.join(' | '))
    .action((shell: string, _o: unknown, cmd: Command) => {
      const ctx = make(cmd);
      if (!(COMPLETION_SHELLS as readonly string[]).includes(shell)) {
        throw usageError(`no completion for "${shell}": use one of ${COMPLETION_SHELLS.join(', ')}`);
      }
      const script = completionScript(shell as (typeof COMPLETION_SHELLS)[number], describeCommands(program));
      ctx.print({ shell, script }, script);
    });
}
