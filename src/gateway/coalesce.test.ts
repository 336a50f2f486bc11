import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pipeCoalesced } from './coalesce.js';

describe('pipeCoalesced', () => {
  it('joins chunks written in one turn, keeps their order and ends the destination', async () => {
    const src = new PassThrough();
    const dst = new PassThrough();
    const writes: string[] = [];
    dst.on('data', (c: Buffer) => writes.push(c.toString()));
    const ended = new Promise((resolve) => dst.on('end', resolve));
    pipeCoalesced(src, dst);
    src.write('a');
    src.write('b');
    await new Promise((r) => setTimeout(r, 10));
    src.write('c');
    src.end('d');
    await ended;
    expect(writes.join('')).toBe('abcd');
    expect(writes.length).toBeLessThan(4);
  });

  it('ends an empty stream', async () => {
    const src = new PassThrough();
    const dst = new PassThrough();
    const ended = new Promise((resolve) => dst.on('finish', resolve));
    pipeCoalesced(src, dst);
    src.end();
    await ended;
  });
});
