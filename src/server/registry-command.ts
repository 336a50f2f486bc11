import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { Store } from '../core/ports.js';
import type { ServerConfig } from '../config/config.js';
import { collectRegistryGarbage, registryConfigFile } from '../host/registry-process.js';
import { RegistryStorage } from '../registry/storage.js';
import { CONTROL_PLANE_LEASE } from '../reconciler/leadership.js';
import { describeBytes } from './accounts-command.js';
import { GC_REQUEST_LEASE } from './registry-wiring.js';

type Out = (line: string) => void;
type WithStore = <T>(fn: (store: Store) => Promise<T>) => Promise<T>;

const GC_TIMEOUT_MS = 10 * 60_000;

/** `carina-server registry …`: the private registry's maintenance. */
export function registerRegistryCommands(program: Command, config: ServerConfig, withStore: WithStore, out: Out): void {
  const registry = program.command('registry').description('the private registry');
  registry
    .command('gc')
    .description('garbage collection now: reclaim the blobs of deleted tags (pushes wait for a few seconds of read-only)')
    .action(() =>
      withStore(async (store) => {
        const storage = new RegistryStorage(config.registry.storageDir);
        const before = await storage.totalBlobBytes();
        const leader = await store.leases.get(CONTROL_PLANE_LEASE);
        if (leader && leader.expiresAt.getTime() > Date.now()) {
          // The leader serves the registry: it runs the collection in a read-only window (registry-wiring.ts).
          const holder = `gc:${hostname()}:${process.pid}`;
          if (!(await store.leases.acquire(GC_REQUEST_LEASE, holder, new Date(), GC_TIMEOUT_MS))) {
            throw new CarinaError(ErrorCode.INVALID_STATE, 'a garbage collection is already requested: wait for it to finish');
          }
          out(`asked the leader (${leader.holder}) for a garbage collection…`);
          const deadline = Date.now() + GC_TIMEOUT_MS;
          for (;;) {
            const request = await store.leases.get(GC_REQUEST_LEASE);
            if (!request || request.holder !== holder || request.expiresAt.getTime() <= Date.now()) break;
            if (Date.now() > deadline) throw new CarinaError(ErrorCode.INTERNAL, 'the leader did not finish the garbage collection in 10 minutes: see its log');
            await sleep(500);
          }
        } else {
          // No control plane runs: nothing writes to the registry, so collect directly.
          // The configuration the leader last wrote names the storage.
          const configFile = registryConfigFile(config.dataDir);
          if (!existsSync(configFile)) throw new CarinaError(ErrorCode.REGISTRY_UNAVAILABLE, `the registry never ran with the data dir ${config.dataDir}: nothing to collect`);
          await collectRegistryGarbage(configFile);
        }
        const after = await storage.totalBlobBytes();
        out(`garbage collection done: freed ${describeBytes(Math.max(0, before - after))}; the registry stores ${describeBytes(after)}`);
      }),
    );
}
