import type Dockerode from 'dockerode';
import split2 from 'split2';
import { describeCause } from '../core/errors.js';
import type { CgroupDelegation } from './cgroup-delegation.js';
import { LABEL } from './labels.js';

const RECONNECT_MS = 1_000;

/** One event of a node container: its cluster, the container's id and what happened (die, stop, destroy, start). */
export interface NodeEvent {
  readonly clusterId: string;
  readonly containerId: string;
  readonly action: string;
}

/**
 * Follows the node engine's event stream for this instance's node containers and reports each
 * event (a node that dies, stops or is removed kicks repair at once instead of at the next periodic
 * pass; a start is when a node in a user namespace gets its cgroups). `onConnect` runs each time
 * the stream is (re)connected, for what happened while it was not. Reconnects when the stream ends
 * (e.g. the engine restarted).
 */
export function watchNodeEvents(
  docker: Dockerode,
  instance: string,
  onEvent: (event: NodeEvent) => void,
  onConnect: () => void = () => undefined,
): { close(): void } {
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
        onConnect();
        // One JSON object a line; lines that are not a node's event map to undefined, which split2 drops.
        stream.pipe(split2(nodeEventOf)).on('data', onEvent);
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

/** The node event in one line of the engine's JSON event stream, if it is one. */
export function nodeEventOf(line: string): NodeEvent | undefined {
  try {
    const event = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    const clusterId = event.Actor?.Attributes?.[LABEL.clusterId];
    return clusterId ? { clusterId, containerId: event.Actor?.ID ?? '', action: event.Action ?? '' } : undefined;
  } catch {
    return undefined;
  }
}

/** Inputs of watchNodes. */
export interface WatchNodesOptions {
  readonly docker: Dockerode;
  readonly instance: string;
  /** Set in userns mode: every node that starts gets its cgroups before its cluster is kicked. */
  readonly delegation?: CgroupDelegation | undefined;
  readonly log?: ((line: string) => void) | undefined;
  readonly onChange: (clusterId: string) => void;
}

/**
 * Kicks a node's cluster on each of its events; in userns mode also hands a started node its cgroups
 * (restarted by its restart policy or with the engine), and, each time the stream (re)connects,
 * every running node (those that started while no stream was connected had no event).
 */
export function watchNodes(o: WatchNodesOptions): { close(): void } {
  const { delegation } = o;
  const delegate = (containerId: string) =>
    delegation?.delegate(containerId).catch((e: unknown) => o.log?.(`could not hand node ${containerId.slice(0, 12)} its cgroups: ${describeCause(e)}`));
  return watchNodeEvents(
    o.docker,
    o.instance,
    (event) => {
      if (event.action === 'start' && delegation) void Promise.resolve(delegate(event.containerId)).finally(() => o.onChange(event.clusterId));
      else o.onChange(event.clusterId);
    },
    () => {
      if (!delegation) return;
      o.docker.listContainers({ filters: { label: [`${LABEL.instance}=${o.instance}`], status: ['running'] } }).then(
        (running) => running.forEach((n) => void delegate(n.Id)),
        (e: unknown) => o.log?.(`could not list nodes to hand them their cgroups: ${describeCause(e)}`),
      );
    },
  );
}
