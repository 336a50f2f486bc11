import { createHash } from 'node:crypto';
import type Dockerode from 'dockerode';
import { statusOf } from './engine-calls.js';
import { LABEL } from './labels.js';

/**
 * A small container a registered host runs once, whatever the clusters (the guard, the cgroups helper):
 * a shell `script` from `image`, with no capability, a read-only root and a restart policy unless
 * `hostConfig` adds what it needs.
 */
export interface HostScript {
  readonly name: string;
  /** The label that keeps what it was made from (image and script), so one made for other facts is replaced. */
  readonly specLabel: string;
  readonly image: string;
  readonly script: string;
  readonly hostConfig: Record<string, unknown>;
}

/** A container's inspection, or undefined when the engine has none of that name. */
export async function inspectIfExists(docker: Dockerode, name: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
}

/**
 * Starts `s` on the host unless `current` (its container there, inspected) was made from the same image
 * and script and runs: that one stays. `starting` is told just before a new one starts (an old one is
 * removed first). Returns the new container's id, or undefined when the current one stays.
 */
export async function ensureHostScript(docker: Dockerode, current: Dockerode.ContainerInspectInfo | undefined, s: HostScript, starting: () => void): Promise<string | undefined> {
  const spec = createHash('sha256').update(`${s.image}\n${s.script}`).digest('hex').slice(0, 16);
  if (current?.Config.Labels[s.specLabel] === spec && current.State.Running) return undefined;
  if (current) await docker.getContainer(s.name).remove({ force: true });
  starting();
  const container = await docker.createContainer({
    name: s.name,
    Image: s.image,
    Entrypoint: ['/bin/sh', '-c'],
    Cmd: [s.script],
    Labels: { [LABEL.managed]: 'true', [s.specLabel]: spec },
    HostConfig: { CapDrop: ['ALL'], ReadonlyRootfs: true, RestartPolicy: { Name: 'unless-stopped' }, ...s.hostConfig },
  });
  await container.start();
  return container.id;
}
