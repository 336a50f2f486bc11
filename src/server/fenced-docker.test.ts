import Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../core/errors.js';
import { fenceDocker } from './fenced-docker.js';

describe('fenceDocker: the engine client of a leader that may have lost its lease', () => {
  const client = (leads: boolean) => fenceDocker(new Dockerode({ socketPath: '/nonexistent/docker.sock' }), () => leads);

  it('refuses a changing request unsent once the replica may not lead', async () => {
    await expect(client(false).getContainer('node-1').remove({ force: true })).rejects.toMatchObject({ code: ErrorCode.FENCED });
    await expect(client(false).createVolume({ Name: 'v' })).rejects.toMatchObject({ code: ErrorCode.FENCED });
  });

  it('sends reads always, and changes while it leads (here they reach the missing socket)', async () => {
    await expect(client(false).getContainer('node-1').inspect()).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(client(true).getContainer('node-1').remove()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
