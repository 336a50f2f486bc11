import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '../wire/error-codes.js';
import { EventStreamParser, GONE_EVENT, RECONNECT_MS, type StreamMessage } from '../wire/event-stream.js';
import { CliError } from './errors.js';
import type { HttpClient, OpenedStream } from './http-client.js';

/** How following a stream ended: the cluster is gone, the caller stopped, or the stream cannot be had (poll instead). */
export type FollowEnd = { readonly kind: 'gone' } | { readonly kind: 'stopped' } | { readonly kind: 'unavailable'; readonly why: string };

/** What a connection came to. */
export type Connection =
  | { readonly kind: 'ended' } // the server closed it, or it went silent: resume where it was
  | { readonly kind: 'gone' }
  | { readonly kind: 'refused'; readonly status: number; readonly code: string | undefined }
  | { readonly kind: 'not-a-stream' }
  | { readonly kind: 'unreachable' };

/** Connections in a row that reached no stream before the follower gives up (and the caller polls). */
export const MAX_FAILED_CONNECTS = 3;

/**
 * After a connection: connect again (resuming after the last id), or end. A deleted cluster (404) is
 * gone (once a stream was had); an older server's JSON or an error answer means no stream here: the caller falls back to
 * polling, which says what is wrong in its own words. A dropped stream is resumed at once; failed
 * connections are retried a few times (a replica restarting, a load balancer moving the client).
 */
export function afterConnection(c: Connection, failedInARow: number, streamedBefore: boolean): { readonly next: 'connect' } | FollowEnd {
  switch (c.kind) {
    case 'ended':
      return { next: 'connect' };
    case 'gone':
      return { kind: 'gone' };
    case 'refused':
      // Deleted while away; at the first connection it is the caller's to say there is no such cluster.
      if (c.status === 404 && c.code === ErrorCode.CLUSTER_NOT_FOUND && streamedBefore) return { kind: 'gone' };
      return { kind: 'unavailable', why: `the server refused the stream (HTTP ${c.status}${c.code ? ` ${c.code}` : ''})` };
    case 'not-a-stream':
      return { kind: 'unavailable', why: 'the server answered without an event stream (older than streams)' };
    case 'unreachable':
      return failedInARow >= MAX_FAILED_CONNECTS ? { kind: 'unavailable', why: 'the server cannot be reached' } : { next: 'connect' };
  }
}

/** What a follower is told of. */
export interface FollowOptions {
  /** Each event, once, in order (a dropped connection is resumed with Last-Event-ID). */
  readonly onEvent: (message: StreamMessage) => void;
  /** Resume after this id (Last-Event-ID of the first connection). */
  readonly afterId?: number | undefined;
  /** A stream silent this long (no heartbeat either) is taken as dropped. */
  readonly idleMs?: number;
  readonly signal?: AbortSignal;
  readonly debug?: ((line: string) => void) | undefined;
}

/** Follows the event stream at `path` until the cluster is gone, `signal` aborts, or no stream can be had. */
export async function followEvents(http: HttpClient, path: string, options: FollowOptions): Promise<FollowEnd> {
  const parser = new EventStreamParser();
  let lastId = options.afterId === undefined ? undefined : String(options.afterId);
  let failed = 0;
  let streamed = false;
  for (;;) {
    if (options.signal?.aborted) return { kind: 'stopped' };
    let connection: Connection;
    try {
      const opened = await http.openStream(path, lastId, options.signal);
      streamed ||= opened.kind === 'stream';
      connection = opened.kind === 'stream' ? await readStream(opened, parser, options) : refusal(http, opened.response);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      options.debug?.(`events: ${error.message}`);
      connection = { kind: 'unreachable' };
    }
    lastId = parser.lastEventId || lastId;
    if (options.signal?.aborted) return { kind: 'stopped' };
    failed = connection.kind === 'unreachable' ? failed + 1 : 0;
    const step = afterConnection(connection, failed, streamed);
    if ('kind' in step) return step;
    await sleep(RECONNECT_MS, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

function refusal(http: HttpClient, response: Extract<OpenedStream, { kind: 'answer' }>['response']): Connection {
  if (response.status >= 200 && response.status < 300) return { kind: 'not-a-stream' };
  return { kind: 'refused', status: response.status, code: http.error(response).code };
}

/** Reads one connection's messages until it ends, goes silent, says the cluster is gone, or the caller aborts. */
async function readStream(opened: Extract<OpenedStream, { kind: 'stream' }>, parser: EventStreamParser, options: FollowOptions): Promise<Connection> {
  const reader = opened.body.getReader();
  const decoder = new TextDecoder();
  const idleMs = options.idleMs ?? 45_000; // three heartbeats
  let idle: NodeJS.Timeout | undefined;
  // Cancelling the reader ends a pending read and closes the connection; aborting the fetch alone
  // does not end a body already being read (measured: the heartbeats kept coming, and the CLI never exited).
  const stop = () => {
    reader.cancel().catch(() => undefined);
    opened.abort();
  };
  options.signal?.addEventListener('abort', stop);
  try {
    // Stopped while the stream was being opened: the listener above came too late to hear it.
    if (options.signal?.aborted) return { kind: 'ended' };
    for (;;) {
      clearTimeout(idle);
      idle = setTimeout(stop, idleMs);
      const chunk: { done: boolean; value?: Uint8Array | undefined } = await reader.read().catch(() => ({ done: true }));
      if (chunk.done || !chunk.value) return { kind: 'ended' };
      for (const message of parser.push(decoder.decode(chunk.value, { stream: true }))) {
        if (message.event === GONE_EVENT) return { kind: 'gone' };
        if (message.event === 'message') options.onEvent(message);
      }
    }
  } finally {
    clearTimeout(idle);
    options.signal?.removeEventListener('abort', stop);
    stop();
  }
}
