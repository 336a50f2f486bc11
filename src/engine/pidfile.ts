import { readFileSync, rmSync } from 'node:fs';

/** The state letter of a process (R, S, D, Z…) from /proc, or undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  try {
    // /proc/PID/stat: "pid (comm) state …"; comm may hold spaces or parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes a pidfile whose process is gone or a zombie (dockerd refuses to start while /proc/PID
 * exists, and a machine whose processes were killed keeps their pidfiles). Returns true if removed.
 */
export function clearStalePidfile(path: string, state: (pid: number) => string | undefined = processState): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return false; // no pidfile
  }
  const pid = Number(text.trim());
  if (Number.isInteger(pid) && pid > 0) {
    const s = state(pid);
    if (s !== undefined && s !== 'Z') return false; // a live process: leave it
  }
  rmSync(path, { force: true });
  return true;
}
