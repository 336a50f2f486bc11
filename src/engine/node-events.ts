import type Dockerode from 'dockerode';
import { LABEL } from './labels.js';

const RECONNECT_MS = 1_000;

/**
 * Follows the host engine's event stream for this instance's node containers and reports the
 * cluster of any that dies, stops or is removed, so repair starts at once instead of at the next
 * periodic pass. Reconnects when the stream ends (e.g. the engine restarted).
 */
export function watchNodeEvents(docker: Dockerode, instance: string, onChange: (clusterId: string) => void): { close(): void } {
  let closed = false;
  let current: NodeJS.ReadableStream | undefined;
  let timer: NodeJS.Timeout | undefined;

  const connect = () => {
    if (closed) return;
    docker.getEvents(
      { filters: { type: ['container'], event: ['die', 'stop', 'destroy', 'start'], label: [`${LABEL.instance}=${instance}`] } },
      (err, stream) => {
        if (err || !stream) return retry();
        current = stream;
        let buffer = '';
        stream.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            const id = clusterOf(line);
            if (id) onChange(id);
          }
        });
        stream.on('end', retry);
        stream.on('error', retry);
      },
    );
  };
  const retry = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect();
    }, RECONNECT_MS);
    timer.unref();
  };
  connect();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      (current as { destroy?: () => void } | undefined)?.destroy?.();
    },
  };
}

/** The cluster id in one line of the engine's JSON event stream, if any. */
export function clusterOf(line: string): string | undefined {
  try {
    const event = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } };
    return event.Actor?.Attributes?.[LABEL.clusterId];
  } catch {
    return undefined;
  }
}
