import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pipeCoalesced } from './coalesce.js';

/** A destination that records each write it receives (a writev counts once, with its parts joined). */
function recorder(highWaterMark = 1024 * 1024): { dst: Writable; writes: string[] } {
  const writes: string[] = [];
  const dst = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString());
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.map((c) => String(c.chunk)).join(''));
      done();
    },
  });
  return { dst, writes };
}

describe('pipeCoalesced', () => {
  it('writes the chunks of one turn together, keeps their order and ends the destination', async () => {
    const src = new PassThrough();
    const { dst, writes } = recorder();
    const finished = new Promise((resolve) => dst.on('finish', resolve));
    pipeCoalesced(src, dst);
    src.write('a');
    src.write('b');
    await new Promise((r) => setTimeout(r, 10));
    src.write('c');
    src.end('d');
    await finished;
    expect(writes.join('')).toBe('abcd');
    expect(writes[0]).toBe('ab');
    expect(writes.length).toBeLessThan(4);
  });

  it('hands large chunks on as they are, not copied into one buffer', async () => {
    const src = new PassThrough();
    const seen: Buffer[] = [];
    const dst = new Writable({
      highWaterMark: 1024 * 1024,
      write(chunk: Buffer, _enc, done) {
        seen.push(chunk);
        done();
      },
      writev(chunks, done) {
        seen.push(...chunks.map((c) => c.chunk as Buffer));
        done();
      },
    });
    const finished = new Promise((resolve) => dst.on('finish', resolve));
    pipeCoalesced(src, dst);
    const big = [Buffer.alloc(64 * 1024, 1), Buffer.alloc(64 * 1024, 2)];
    for (const b of big) src.write(b);
    src.end();
    await finished;
    expect(seen.map((b) => b.buffer)).toEqual(big.map((b) => b.buffer));
  });

  it('passes a chunk on within the turn it arrived in (a logs -f line is not held)', async () => {
    const src = new PassThrough();
    const { dst, writes } = recorder();
    pipeCoalesced(src, dst);
    src.write('line 1\n');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['line 1\n']);
    src.end();
  });

  it('pauses the source while the destination is full and delivers every byte', async () => {
    const src = new PassThrough({ highWaterMark: 16 });
    let paused = 0;
    src.on('pause', () => (paused += 1));
    const received: Buffer[] = [];
    const dst = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _enc, done) {
        received.push(chunk);
        setTimeout(done, 1); // a slow consumer
      },
    });
    const finished = new Promise((resolve) => dst.on('finish', resolve));
    pipeCoalesced(src, dst);
    const sent = Buffer.alloc(4096, 'x');
    for (let i = 0; i < sent.length; i += 32) src.write(sent.subarray(i, i + 32));
    src.end();
    await finished;
    expect(Buffer.concat(received).equals(sent)).toBe(true);
    expect(paused).toBeGreaterThan(0);
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
