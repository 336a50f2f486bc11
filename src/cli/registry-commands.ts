import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { warn, type MakeContext } from './command-kit.js';
import type { Context } from './context.js';
import { loginFailure, runDockerLogin } from './docker-login.js';
import { CliCode, CliError } from './errors.js';
import { toJson } from './format.js';
import { canWriteDir, readIfPresent, writeFileAtomic } from './registry-files.js';
import { registryQuotaTable, repositoriesTable } from './registry-format.js';
import { parseTagRef, tagName } from './registry-ref.js';
import { caCertificates, checkRegistryAddress, DOCKER_CERTS_DIR, planTrust, shArg, type TrustPlan } from './registry-trust.js';
import type { RegistryInfo } from './types.js';

interface LoginFlags {
  readonly dockerConfig?: string;
  readonly certsDir?: string;
  /** false with --no-docker. */
  readonly docker: boolean;
}

/** What `login` did about the CA, in the words of its --json output. */
type TrustOutcome = 'trusted' | 'written' | 'replaced' | 'manual';

/** Puts the CA where the daemon reads it when this process may, else says how; returns what happened. */
async function trustCa(ctx: Context, info: RegistryInfo, address: string, flags: LoginFlags): Promise<{ plan: TrustPlan; outcome: TrustOutcome; savedCa: string }> {
  const endpoint = (await ctx.settings()).endpoint;
  const ca = caCertificates(info.ca_pem);
  if (ca === undefined) throw new CliError(CliCode.BAD_RESPONSE, `${endpoint} gave a registry CA that is not a PEM certificate`);
  // A copy in the CLI's own directory, for the user's commands (and to compare with later).
  const savedCa = await writeFileAtomic(join(ctx.home, 'registry', address), 'ca.crt', ca, 0o644, 0o755);
  const certsRoot = resolve(ctx.io.cwd, flags.certsDir ?? DOCKER_CERTS_DIR);
  const facts = { certsRoot, address, ca, savedCa, printOnly: !flags.docker };
  let plan = planTrust({ ...facts, existing: await readIfPresent(join(certsRoot, address, 'ca.crt')), canWrite: await canWriteDir(join(certsRoot, address)) });
  if (plan.kind === 'write') {
    try {
      await writeFileAtomic(plan.dir, 'ca.crt', ca, 0o644, 0o755);
      return { plan, outcome: plan.replacing ? 'replaced' : 'written', savedCa };
    } catch (error) {
      warn(ctx, `cannot write ${plan.file}: ${(error as Error).message}`);
      plan = planTrust({ ...facts, existing: undefined, canWrite: false });
    }
  }
  return { plan, outcome: plan.kind === 'trusted' ? 'trusted' : 'manual', savedCa };
}

/** What the user reads about the CA. */
function trustText(plan: TrustPlan, outcome: TrustOutcome, savedCa: string): string {
  switch (plan.kind) {
    case 'trusted':
      return `The docker daemon already trusts the registry's CA (${plan.file}).\n`;
    case 'write':
      return `${outcome === 'replaced' ? 'Replaced' : 'Wrote'} the registry's CA to ${plan.file}: the docker daemon trusts it from its next pull or push.\n`;
    case 'manual':
      return (
        `The docker daemon must trust the registry's CA. It is saved in ${savedCa}; put it in place as root:\n` +
        plan.commands.map((c) => `  ${c}\n`).join('') +
        `(Docker Desktop and rootless docker: copy it to ~/.docker/certs.d/ or ~/.config/docker/certs.d/ instead, or use --certs-dir.)\n`
      );
  }
}

/** registry login, ls, rm, quota. */
export function registerRegistryCommands(program: Command, make: MakeContext): void {
  const registry = program.command('registry').description('your private Docker registry: log in, list images, delete tags, see the quota');

  registry
    .command('login')
    .description("make docker trust the registry's CA and log docker in to it with your API key")
    .option('--docker-config <dir>', "docker's configuration directory, where docker login stores the credentials (env DOCKER_CONFIG; default ~/.docker)")
    .option('--certs-dir <dir>', `the docker daemon's certs.d directory (default ${DOCKER_CERTS_DIR}; rootless docker: ~/.config/docker/certs.d)`)
    .option('--no-docker', 'only print what to do: write nothing to certs.d and do not run docker login')
    .action(async (o: LoginFlags, cmd: Command) => {
      const ctx = make(cmd);
      const api = await ctx.api();
      const settings = await ctx.settings();
      const info = await api.registry();
      const address = checkRegistryAddress(info.address, settings.endpoint);
      const username = info.namespace;
      const { plan, outcome, savedCa } = await trustCa(ctx, info, address, o);
      // Instructions go to stdout, except with --json, whose stdout is the one JSON document.
      const say = (text: string) => (ctx.json ? ctx.io.err(text) : ctx.io.out(text));
      say(trustText(plan, outcome, savedCa));
      const report = {
        registry: info,
        username,
        ca_file: savedCa,
        certs_file: plan.file,
        trust: outcome,
        commands: plan.kind === 'manual' ? plan.commands : [],
      };
      if (!o.docker) {
        say(`Then log docker in (the key on stdin, never in the command line):\n  printf '%s' "$CARINA_APIKEY" | docker login ${address} --username ${shArg(username)} --password-stdin\n`);
        if (ctx.json) ctx.io.out(toJson({ ...report, docker_login: 'skipped' }));
        return;
      }
      const dockerConfig = o.dockerConfig === undefined ? undefined : resolve(ctx.io.cwd, o.dockerConfig);
      ctx.debug(`running: docker login ${address} --username ${username} --password-stdin${dockerConfig ? ` (DOCKER_CONFIG=${dockerConfig})` : ''}`);
      const login = await runDockerLogin({ address, username, password: settings.apikey ?? '', env: ctx.io.env, dockerConfig });
      if (login.kind !== 'ok') throw loginFailure(address, login, plan.kind === 'manual');
      for (const w of login.warnings) warn(ctx, `docker: ${w}`);
      ctx.print(
        { ...report, docker_login: 'ok' },
        `Logged in to ${address} as ${username}. Push with: docker tag IMAGE ${address}/${username}/NAME:TAG && docker push ${address}/${username}/NAME:TAG\n`,
      );
    });

  registry
    .command('ls')
    .alias('list')
    .description('list the repositories of your namespace with their tags, digests and sizes, and your usage')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = make(cmd);
      const list = await (await ctx.api()).repositories();
      ctx.print(list, repositoriesTable(list));
    });

  registry
    .command('rm')
    .alias('delete')
    .description('delete a tag (its storage is reclaimed at the next garbage collection unless another tag uses it)')
    .argument('<reference>', 'REPOSITORY:TAG: app:1, alice/app:1 or ADDRESS/alice/app:1')
    .action(async (reference: string, _o: unknown, cmd: Command) => {
      const ctx = make(cmd);
      const api = await ctx.api();
      const ref = parseTagRef(reference, await api.registry());
      await api.deleteTag(ref.repository, ref.tag);
      ctx.print(
        { repository: ref.repository, tag: ref.tag, deleted: true },
        `Deleted ${tagName(ref)}: its storage is reclaimed at the next garbage collection unless another tag uses it.\n`,
      );
    });

  registry
    .command('quota')
    .description("show your registry storage: used, quota and percent")
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = make(cmd);
      const info = await (await ctx.api()).registry();
      ctx.print(info, registryQuotaTable(info.used_bytes, info.quota_bytes));
    });
}
