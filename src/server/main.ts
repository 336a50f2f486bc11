import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CarinaError } from '../core/errors.js';
import type { Store } from '../core/ports.js';
import { loadConfig } from '../config/config.js';
import { childProcessRunner, ensureHostEngine, isDebianHost } from '../host/host-setup.js';
import { pingQuick } from '../engine/node-client.js';
import { ensureNodeEngine } from '../host/node-engine.js';
import { openStore } from '../store/open-store.js';
import { registerAccountCommands } from './accounts-command.js';
import { registerHostCommands } from './hosts-command.js';
import { registerRegistryCommands } from './registry-command.js';
import { preparePrivateDataDir } from './data-dir.js';
import { describeLease } from './lease-description.js';
import { CONTROL_PLANE_LEASE } from '../reconciler/leadership.js';
import { hostDocker, startControlPlane } from './control-plane.js';
import { createLogger, lineLog } from './logger.js';

const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const out = (line: string) => process.stdout.write(`${line}\n`);

/** `carina-server`: the control plane and its admin commands. The only place that exits the process. */
async function main(argv: string[]): Promise<void> {
  const config = loadConfig();
  // On stderr (stdout is the admin commands' output), JSON or pretty (CARINA_LOG_FORMAT), secrets scrubbed.
  const logger = createLogger(config.log, { secrets: config.metrics?.token === undefined ? [] : [config.metrics.token] });
  const log = lineLog(logger, 'server');
  const program = new Command('carina-server').version(version).description('Carina control plane').exitOverride();

  const setupHost = async () => {
    await preparePrivateDataDir(config.dataDir, log); // before dockerd's log is written into it
    const common = { dataDir: config.dataDir, log, isRoot: process.getuid?.() === 0, isDebian: isDebianHost(), run: childProcessRunner() };
    const docker = hostDocker(config.dockerHost);
    const outcome = await ensureHostEngine({ ...common, dockerHost: config.dockerHost, ping: () => pingQuick(docker) });
    if (outcome.kind === 'manual') {
      process.stderr.write(`carina-server: no Docker engine answers.\n${outcome.instructions}\n`);
      process.exit(3);
    }
    if (outcome.started) log(`started dockerd (log: ${config.dataDir}/dockerd.log)`);
    if (config.nodeEngine !== 'userns') return;
    const nodes = hostDocker(config.nodeEngineHost);
    const node = await ensureNodeEngine({ ...common, engineHost: config.nodeEngineHost, ping: () => pingQuick(nodes) });
    if (node.kind === 'manual') {
      process.stderr.write(`carina-server: no node engine answers (CARINA_NODE_ENGINE=userns).\n${node.instructions}\n`);
      process.exit(3);
    }
    if (node.started) log(`started the node engine (log: ${config.dataDir}/node-engine.log)`);
  };

  program
    .command('up')
    .alias('serve')
    .description('set up the host engine if needed and run the control plane (API + reconciler)')
    .action(async () => {
      await setupHost();
      const plane = await startControlPlane(config, version, logger);
      log(`Carina ${version} API listening on ${plane.url} (data: ${config.dataDir}, database: ${config.databaseUrl.replace(/\/\/[^@]*@/, '//***@')})`);
      const stop = () => {
        log('shutting down');
        plane.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  program.command('setup').description('only set up the host engine and the node engine (install and start them if needed)').action(setupHost);

  const withStore = async <T>(fn: (store: Store) => Promise<T>): Promise<T> => {
    await preparePrivateDataDir(config.dataDir, log);
    // Without the secret key: admin commands never touch key material, so they neither make a key
    // file nor seal anything (a wrong data dir must not seal old plaintext keys with a new key).
    const store = await openStore({ url: config.databaseUrl });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };
  registerAccountCommands(program, config, withStore, out);
  registerRegistryCommands(program, config, withStore, out);
  registerHostCommands(program, withStore, out);
  program
    .command('leader')
    .description('which replica holds the control-plane lease (runs the reconciler and the gateways)')
    .action(() =>
      withStore(async (store) => {
        out(describeLease(await store.leases.get(CONTROL_PLANE_LEASE), new Date()));
      }),
    );

  await program.parseAsync(argv);
}

main(process.argv).catch((e: unknown) => {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (e instanceof CarinaError) {
    process.stderr.write(`carina-server: ${e.message} (${e.code})\n`);
    process.exit(1);
  }
  process.stderr.write(`carina-server: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
