/** Something a container tries to open a TCP connection to. */
export interface Target {
  readonly what: string;
  readonly address: string;
  readonly port: number;
}

/** A shell script that tries each target at once (busybox nc: no -z, a closed stdin ends it) and prints `ADDRESS:PORT open|closed`. */
export const probeScript = (targets: readonly Target[]): string =>
  `${targets.map((t) => `(if nc -w 2 ${t.address} ${t.port} </dev/null >/dev/null 2>&1; then echo "${t.address}:${t.port} open"; else echo "${t.address}:${t.port} closed"; fi) &`).join('\n')}\nwait`;

/** Each target's outcome as `what ADDRESS:PORT open|closed`, in the targets' order. */
export const outcomes = (targets: readonly Target[], printed: string): string[] => {
  const seen = new Map(printed.trim().split('\n').map((line) => line.trim().split(' ') as [string, string]));
  return targets.map((t) => `${t.what} ${t.address}:${t.port} ${seen.get(`${t.address}:${t.port}`) ?? 'no answer'}`);
};
