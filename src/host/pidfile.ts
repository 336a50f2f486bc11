import { readFileSync, rmSync } from 'node:fs';

/** A process as /proc shows it: its state letter (R, S, D, Z…) and its command name. */
export interface ProcessInfo {
  readonly state: string;
  readonly comm: string;
}

/** The state and command name of a process from /proc, or undefined when there is no such process. */
export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    // /proc/PID/stat: "pid (comm) state …"; comm may hold spaces or parentheses, so split at the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return { state: stat.slice(close + 2, close + 3), comm: stat.slice(stat.indexOf('(') + 1, close) };
  } catch {
    return undefined;
  }
}

/**
 * Removes a pidfile unless it names a live process called `name`: one that is gone, a zombie, or
 * (its pid reused) another program. dockerd refuses to start while its pidfile's process seems to
 * exist, and waits in vain for a containerd whose pidfile does; a machine whose processes were
 * killed keeps both files. Returns true if removed.
 */
export function clearStalePidfile(path: string, name: string, info: (pid: number) => ProcessInfo | undefined = processInfo): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return false; // no pidfile
  }
  const pid = Number(text.trim());
  if (Number.isInteger(pid) && pid > 0) {
    const p = info(pid);
    if (p !== undefined && p.state !== 'Z' && p.comm === name) return false; // a live process: leave it
  }
  rmSync(path, { force: true });
  return true;
}
