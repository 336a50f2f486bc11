import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { nodeEventOf, watchNodeEvents, type NodeEvent } from './node-events.js';

describe('nodeEventOf', () => {
  it("reads a node container's event: its cluster, container id and action", () => {
    const line = JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'abc123', Attributes: { 'carina.cluster.id': 'c1', name: 'carina-c1-n0' } } });
    expect(nodeEventOf(line)).toEqual({ clusterId: 'c1', containerId: 'abc123', action: 'start' });
  });

  it('ignores events of other objects and lines that are not JSON', () => {
    expect(nodeEventOf(JSON.stringify({ Action: 'die', Actor: { ID: 'x', Attributes: { name: 'other' } } }))).toBeUndefined();
    expect(nodeEventOf('{"partial')).toBeUndefined();
  });
});

describe('watchNodeEvents', () => {
  it('reports each event of the stream, whatever the chunks cut lines at', async () => {
    const stream = new PassThrough();
    const docker = { getEvents: (_opts: unknown, cb: (err: unknown, s: NodeJS.ReadableStream) => void) => cb(null, stream) } as unknown as Dockerode;
    const events: NodeEvent[] = [];
    const watch = watchNodeEvents(docker, 'i1', (e) => events.push(e));
    const line = (id: string, action: string) => JSON.stringify({ Action: action, Actor: { ID: id, Attributes: { 'carina.cluster.id': 'c1' } } });
    const text = `${line('a', 'die')}\n${line('b', 'start')}\nnot json\n${line('c', 'stop')}\n`;
    const cuts = [0, 7, 60, 61, 150, text.length];
    for (let i = 1; i < cuts.length; i++) stream.write(text.slice(cuts[i - 1], cuts[i]));
    await new Promise((resolve) => setImmediate(resolve));
    watch.close();
    expect(events.map((e) => `${e.containerId}:${e.action}`)).toEqual(['a:die', 'b:start', 'c:stop']);
  });
});
