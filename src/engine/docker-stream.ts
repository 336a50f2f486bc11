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
