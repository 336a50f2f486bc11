import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { checkClusterName } from './args.js';
import type { MakeContext } from './command-kit.js';
import { completionScript, COMPLETION_SHELLS, type CommandSpec } from './completion.js';
import { ErrorCode } from '../wire/error-codes.js';
import { CliError, usageError } from './errors.js';
import { eventLines, flavorsTable, quotasTable, toJsonLine, usageTable } from './format.js';
import type { ClusterEvent } from './types.js';

/** How often `events --follow` polls a server that has no event stream. */
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
      if (!o.follow) {
        const events = await api.events(name);
        return ctx.print({ events }, eventLines(events));
      }
      const show = (e: ClusterEvent) => ctx.io.out(ctx.json ? toJsonLine(e) : eventLines([e]));
      const gone = () => ctx.io.err(`carina: cluster ${name} is gone; stopped following\n`);
      // The live stream first (the whole log, then each new event); polling where there is none.
      let last = 0;
      const end = await api.followEvents(name, {
        onEvent: (m) => {
          const e = JSON.parse(m.data) as ClusterEvent;
          show(e);
          last = e.id;
        },
        debug: (line) => ctx.debug(line),
      });
      if (end.kind === 'gone') return gone();
      ctx.debug(`events: ${end.kind === 'unavailable' ? end.why : end.kind}; polling every ${FOLLOW_INTERVAL_MS / 1000} s`);
      let events: ClusterEvent[];
      try {
        events = await api.events(name, last === 0 ? undefined : last);
      } catch (error) {
        // Never streamed: the error (no such cluster, no server) is what the user needs to see.
        if (last === 0 || !(error instanceof CliError && error.code === ErrorCode.CLUSTER_NOT_FOUND)) throw error;
        return gone();
      }
      for (;;) {
        for (const e of events) show(e);
        last = events.at(-1)?.id ?? last;
        await sleep(FOLLOW_INTERVAL_MS);
        try {
          events = await api.events(name, last);
        } catch (error) {
          if (!(error instanceof CliError && error.code === ErrorCode.CLUSTER_NOT_FOUND)) throw error;
          return gone();
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
