import type { Readable, Writable } from 'node:stream';

/** The most one turn's batch holds before it is written at once. */
const LIMIT = 256 * 1024;
/** Chunks smaller than this on average (log lines, events) are joined into one buffer: copying them costs less than a write each. */
const SMALL = 4 * 1024;

/**
 * Pipes `src` into `dst` (ending it), writing the chunks that arrive within one turn of the event
 * loop together (at most 256 KiB): one writev, several TLS records per syscall. Large chunks (copies,
 * uploads) go out as they are, `dst` corked around them, without being copied into one buffer;
 * small ones (a chatty `logs -f`) are joined first. Nothing waits longer than that turn, so a stream
 * shows each line promptly. `dst` pausing `src` when full is the backpressure.
 */
export function pipeCoalesced(src: Readable, dst: Writable): void {
  let parts: Buffer[] = [];
  let size = 0;
  let scheduled = false;
  let ended = false;
  let waiting = false;
  const resume = () => {
    waiting = false;
    src.resume();
  };
  const flush = () => {
    scheduled = false;
    if (size > 0) {
      const batch = parts;
      const joined = batch.length > 1 && size < SMALL * batch.length;
      parts = [];
      size = 0;
      let room = true;
      if (joined) room = dst.write(Buffer.concat(batch));
      else {
        if (batch.length > 1) dst.cork();
        for (const chunk of batch) room = dst.write(chunk);
        if (batch.length > 1) dst.uncork();
      }
      if (!room && !waiting) {
        waiting = true;
        src.pause();
        dst.once('drain', resume);
      }
    }
    if (ended && !dst.writableEnded) dst.end();
  };
  src.on('data', (chunk: Buffer) => {
    parts.push(chunk);
    size += chunk.length;
    if (size >= LIMIT) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  src.on('end', () => {
    ended = true;
    if (!scheduled) flush();
  });
}
