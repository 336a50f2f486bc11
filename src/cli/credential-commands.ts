import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkClusterName } from './args.js';
import { localSerial, unzipBundle, writeBundle } from './bundle-store.js';
import type { MakeContext } from './command-kit.js';
import type { Context } from './context.js';
import { detectShell, dockerHostOf, parseShell, renderEnvScript, SHELL_FILES, SHELLS } from './env-script.js';
import { isRegistryAddress } from './registry-trust.js';

/** Where a cluster's bundle lives: `--path`, else `$CARINA_HOME/clusters/<user>/<cluster>`. */
async function bundleDir(ctx: Context, name: string, path: string | undefined): Promise<{ dir: string; ownDir: boolean }> {
  if (path !== undefined) return { dir: resolve(ctx.io.cwd, path), ownDir: false };
  return { dir: await ctx.defaultCredentialsDir(name), ownDir: true };
}

/**
 * Makes sure `dir` holds the cluster's current bundle: downloads it when missing or when the
 * server's certificate serial (ETag) differs from the one recorded. Returns the serial and
 * whether files were written.
 */
async function syncBundle(ctx: Context, name: string, dir: string, ownDir: boolean, force: boolean): Promise<{ serial: string | undefined; downloaded: boolean; files: string[] }> {
  const api = await ctx.api();
  const local = force ? undefined : await localSerial(dir);
  const bundle = await api.credentials(name, local || undefined);
  if (bundle === 'not-modified' || (local && bundle.serial === local)) {
    ctx.debug(`credentials in ${dir} are current (certificate serial ${local})`);
    return { serial: local, downloaded: false, files: [] };
  }
  const files = await unzipBundle(bundle.zip);
  await writeBundle(dir, files, bundle.serial, ownDir);
  ctx.debug(`wrote credentials (certificate serial ${bundle.serial ?? 'unknown'}) to ${dir}`);
  return { serial: bundle.serial, downloaded: true, files: [...files.keys()].sort() };
}

/** The account's registry address for a comment of `env`, or undefined: no registry, or any failure (env works without it). */
async function registryAddress(ctx: Context): Promise<string | undefined> {
  try {
    const { address } = await (await ctx.api()).registry();
    if (isRegistryAddress(address)) return address;
    ctx.debug(`registry address ${JSON.stringify(address)} is not HOST:PORT; not shown`);
  } catch (error) {
    ctx.debug(`no registry comment: ${(error as Error).message}`);
  }
  return undefined;
}

/** credentials (creds), env. */
export function registerCredentialCommands(program: Command, make: MakeContext): void {
  program
    .command('credentials')
    .alias('creds')
    .description("download a cluster's TLS credentials bundle")
    .argument('<name>', 'cluster name')
    .option('--path <dir>', 'directory to write to (default $CARINA_HOME/clusters/<user>/<cluster>)')
    .action(async (name: string, o: { path?: string }, cmd: Command) => {
      const ctx = make(cmd);
      checkClusterName(name);
      const { dir, ownDir } = await bundleDir(ctx, name, o.path);
      const { serial, files } = await syncBundle(ctx, name, dir, ownDir, true);
      const envFile = join(dir, 'docker.env');
      ctx.print(
        { cluster: name, path: dir, serial: serial ?? null, files },
        `Wrote the credentials of ${name} to ${dir}\n` +
          `Use them with:  eval "$(carina env ${name})"   or   source ${envFile}   (then: docker info)\n` +
          `key.pem is your private key: keep it secret.\n`,
      );
    });

  program
    .command('env')
    .description('print the shell command that points docker at a cluster; use: eval "$(carina env NAME)"')
    .argument('<name>', 'cluster name')
    .option('--shell <shell>', `${SHELLS.join(' | ')} (default: from $SHELL, else bash)`)
    .option('--path <dir>', 'credentials directory (default $CARINA_HOME/clusters/<user>/<cluster>)')
    .action(async (name: string, o: { shell?: string; path?: string }, cmd: Command) => {
      const ctx = make(cmd);
      checkClusterName(name);
      const shell = o.shell === undefined ? detectShell(ctx.io.env.SHELL) : parseShell(o.shell);
      const { dir, ownDir } = await bundleDir(ctx, name, o.path);
      const [{ serial, downloaded }, registry] = await Promise.all([syncBundle(ctx, name, dir, ownDir, false), registryAddress(ctx)]);
      const command = `carina env ${name}${o.shell === undefined ? '' : ` --shell ${shell}`}`;
      const script = renderEnvScript(shell, dir, command, registry);
      if (!ctx.json) return ctx.io.out(script);
      const dockerEnv = await readFile(join(dir, 'docker.env'), 'utf8');
      ctx.print(
        {
          cluster: name,
          path: dir,
          shell,
          file: join(dir, SHELL_FILES[shell]),
          script,
          docker_host: dockerHostOf(dockerEnv) ?? null,
          serial: serial ?? null,
          downloaded,
          registry: registry ?? null,
        },
        script,
      );
    });
}
