import type Dockerode from 'dockerode';
import { demux } from './docker-stream.js';
import { ignore404 } from './engine-calls.js';
import { LABEL } from './labels.js';

/**
 * Reads a file of a host through its engine alone (the control plane has no shell there): a
 * throwaway container of `image` — no network, no capability, read-only — prints `within` (a path
 * under `source`, or `source` itself when empty) through a read-only bind of `source`. A `Mounts`
 * bind, unlike a `Binds` one, creates nothing on the host: a missing source is refused. `asHostRoot`
 * runs it as the host's root (out of a remapped user namespace), for a file only root may read.
 * Undefined when the engine refuses, the read fails, or it exits non-zero.
 */
export async function readHostFile(docker: Dockerode, image: string, source: string, options: { within?: string; asHostRoot?: boolean } = {}): Promise<string | undefined> {
  let container: Dockerode.Container | undefined;
  try {
    container = await docker.createContainer({
      Image: image,
      Entrypoint: ['cat', options.within ? `/host/${options.within}` : '/host'],
      Cmd: [],
      Labels: { [LABEL.managed]: 'true' },
      HostConfig: {
        NetworkMode: 'none',
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        ...(options.asHostRoot ? { UsernsMode: 'host' } : {}),
        Mounts: [{ Type: 'bind', Source: source, Target: '/host', ReadOnly: true }],
      },
    });
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return StatusCode === 0 ? demux(await container.logs({ stdout: true, stderr: false })) : undefined;
  } catch {
    return undefined;
  } finally {
    const made = container;
    if (made) await ignore404(() => made.remove({ force: true })).catch(() => undefined);
  }
}
