import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianMirror } from '../src/host/apt-mirror.js';
import { childProcessRunner } from '../src/host/host-setup.js';
import { ensureImages } from '../src/engine/node-image.js';
import { purgeStaleNetns } from './support/browser-network.js';
import { hostDocker, nodeDocker, purgeStaleTestObjects } from './support/server.js';
import { purgeStaleSimHosts } from './support/sim-hosts.js';

/**
 * Before any end-to-end test: compile the executables, check that a Docker engine answers, and
 * build the node images once (about a minute on a fresh machine), so no test's timing includes it.
 */
export default async function setup(): Promise<void> {
  // CARINA_TEST_SKIP_BUILD=1 reuses dist/ as it is (for a quick re-run while developing).
  if (process.env.CARINA_TEST_SKIP_BUILD !== '1') {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    // The portal (web/dist) that carina-server serves at `/`, as a production build (vitest sets NODE_ENV=test).
    execFileSync('npx', ['vite', 'build', 'web', '--logLevel', 'warn'], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  }
  const docker = hostDocker;
  try {
    await docker.ping();
  } catch {
    throw new Error('end-to-end tests need a Docker engine at /var/run/docker.sock: run `carina-server setup` (or .ci/run) first');
  }
  // The node engine (userns mode, the default as root), as `carina-server up` would start it; its
  // nodes of interrupted runs restart with it, so they are purged below like the host engine's.
  if (nodeDocker !== hostDocker) execFileSync(process.execPath, ['bin/carina-server.js', 'setup'], { stdio: 'inherit', env: { ...process.env, CARINA_DATA_DIR: join(tmpdir(), 'carina-e2e-setup') } });
  await purgeStaleTestObjects((line) => console.log(`e2e setup: ${line}`));
  await purgeStaleNetns((line) => console.log(`e2e setup: ${line}`));
  await purgeStaleSimHosts((line) => console.log(`e2e setup: ${line}`));
  const started = Date.now();
  const images = await ensureImages(docker, {
    cacheDir: join(tmpdir(), 'carina-e2e-images'),
    mirror: process.env.CARINA_DEBIAN_MIRROR ?? debianMirror(),
    run: childProcessRunner().run,
    log: (line) => console.log(`e2e setup: ${line}`),
  });
  if (nodeDocker !== hostDocker) {
    // Copied to the node engine now, so no test's timing includes it (each server would copy it on first use).
    await ensureImages(nodeDocker, { cacheDir: join(tmpdir(), 'carina-e2e-images'), mirror: '', run: childProcessRunner().run, source: docker, log: (line) => console.log(`e2e setup: ${line}`) });
  }
  console.log(`e2e setup: images ${images.nodeImage} and ${images.workloadImage} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
