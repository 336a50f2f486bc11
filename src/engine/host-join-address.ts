import type Dockerode from 'dockerode';
import { readHostFile } from './host-file.js';

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
 * The address a host joined the hosts' swarm through, asked of its engine alone: its swarm state
 * file read as the host's root (the file is root's, 0600) by readHostFile. Docker has a promoted
 * worker start its Raft member by dialling that address first, whatever the managers are now
 * (docs/multi-host.md, "Losing a host"). Undefined when it cannot be read.
 */
export async function hostJoinAddress(docker: Dockerode, image: string): Promise<string | undefined> {
  const info = (await docker.info().catch(() => undefined)) as { DockerRootDir?: string } | undefined;
  if (info === undefined) return undefined;
  const root = info.DockerRootDir ?? '/var/lib/docker';
  const state = await readHostFile(docker, image, `${root}/swarm/docker-state.json`, { asHostRoot: true });
  return state === undefined ? undefined : parseJoinAddress(state);
}
