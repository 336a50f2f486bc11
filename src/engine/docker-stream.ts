import type Dockerode from 'dockerode';

/** The text of a container's log or exec output without a TTY: frames of an 8-byte header (stream, size) and their bytes. */
export function demux(raw: Buffer): string {
  let text = '';
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4);
    text += raw.subarray(at + 8, at + 8 + size).toString('utf8');
    at += 8 + size;
  }
  return text;
}

/** Runs `cmd` in `container` and returns its output; fails with its output when it exits non-zero. */
export async function execIn(container: Dockerode.Container, cmd: string[]): Promise<string> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const output = demux(Buffer.concat(chunks));
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`${cmd[0] ?? ''} exited ${String(ExitCode)}: ${output.trim().slice(-300)}`);
  return output;
}
