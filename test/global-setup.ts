import { execFileSync } from 'node:child_process';
import Dockerode from 'dockerode';

/** Builds the executables once and checks that a Docker engine answers before any end-to-end test. */
export default async function setup(): Promise<void> {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  try {
    await new Dockerode({ socketPath: '/var/run/docker.sock' }).ping();
  } catch {
    throw new Error('end-to-end tests need a Docker engine at /var/run/docker.sock: run `carina-server setup` (or .ci/run) first');
  }
}
