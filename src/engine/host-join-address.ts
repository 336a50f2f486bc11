import type Dockerode from 'dockerode';
import { demux } from './docker-stream.js';
import { ignore404 } from './engine-calls.js';
import { LABEL } from './labels.js';

/**
 * The address (no port) a host joined the hosts' swarm through, from its engine's swarm state file
 * (`RemoteAddr` of DOCKER_ROOT/swarm/docker-state.json), undefined when the file says none.
 */
export function parseJoinAddress(stateJson: string): string | undefined {
  try {
    const remote = (JSON.parse(stateJson) as { RemoteAddr?: unknown }).RemoteAddr;
    return typeof remote === 'string' && remote !== '' ? remote.replace(/:\d+$/, '') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The address a host joined the hosts' swarm through, asked of its engine alone: a throwaway
 * container of `image` (as root of the host: the file is root's, 0600; no capability, no network,
 * read-only) reads the engine's swarm state file through a bind. Docker has a promoted worker start
 * its Raft member by dialling that address first, whatever the managers are now (docs/multi-host.md,
 * "Losing a host"). Undefined when it cannot be read.
 */
export async function hostJoinAddress(docker: Dockerode, image: string): Promise<string | undefined> {
  let container: Dockerode.Container | undefined;
  try {
    const root = ((await docker.info()) as { DockerRootDir?: string }).DockerRootDir ?? '/var/lib/docker';
    container = await docker.createContainer({
      Image: image,
      Entrypoint: ['cat', '/swarm-state.json'],
      Cmd: [],
      Labels: { [LABEL.managed]: 'true' },
      HostConfig: {
        NetworkMode: 'none',
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        UsernsMode: 'host',
        Mounts: [{ Type: 'bind', Source: `${root}/swarm/docker-state.json`, Target: '/swarm-state.json', ReadOnly: true }],
      },
    });
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return StatusCode === 0 ? parseJoinAddress(demux(await container.logs({ stdout: true, stderr: false }))) : undefined;
  } catch {
    return undefined;
  } finally {
    const made = container;
    if (made) await ignore404(() => made.remove({ force: true })).catch(() => undefined);
  }
}
