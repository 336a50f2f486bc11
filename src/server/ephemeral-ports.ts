import { readFile } from 'node:fs/promises';

/** Where the kernel picks outgoing connections' local ports (Linux), undefined when unknown. */
export async function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): Promise<{ from: number; to: number } | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const m = text && /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  return m ? { from: Number(m[1]), to: Number(m[2]) } : undefined;
}

/**
 * What to tell the operator when the clusters' endpoint ports (CARINA_PORT_RANGE) overlap the
 * kernel's ephemeral range: any outgoing connection of the machine (or its TIME_WAIT for a minute
 * after) may hold one of them, and that cluster's endpoint then refuses connections until the
 * gateway's next try finds the port free. Undefined when they do not overlap.
 */
export function ephemeralOverlapWarning(range: { from: number; to: number }, ephemeral: { from: number; to: number } | undefined): string | undefined {
  if (!ephemeral || range.to < ephemeral.from || range.from > ephemeral.to) return undefined;
  return (
    `CARINA_PORT_RANGE ${range.from}-${range.to} overlaps the kernel's ephemeral ports ${ephemeral.from}-${ephemeral.to}: ` +
    `an outgoing connection may hold a cluster's endpoint port, which then refuses clients until it is free; ` +
    `choose a range below ${ephemeral.from} (the default is 23760-24759) or narrow net.ipv4.ip_local_port_range`
  );
}
