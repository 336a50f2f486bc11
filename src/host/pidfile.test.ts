import { mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearStalePidfile, processInfo } from './pidfile.js';

describe('clearStalePidfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carina-pidfile-'));
  const pidfile = (content: string) => {
    const path = join(dir, `${Math.random()}.pid`);
    writeFileSync(path, content);
    return path;
  };

  it('removes a pidfile whose process is gone, a zombie, or another program by now', () => {
    const gone = pidfile('4242\n');
    expect(clearStalePidfile(gone, 'dockerd', () => undefined)).toBe(true);
    expect(existsSync(gone)).toBe(false);
    const zombie = pidfile('4243');
    expect(clearStalePidfile(zombie, 'dockerd', () => ({ state: 'Z', comm: 'dockerd' }))).toBe(true);
    const reused = pidfile('4244');
    expect(clearStalePidfile(reused, 'containerd', () => ({ state: 'S', comm: 'postgres' }))).toBe(true);
    expect(existsSync(reused)).toBe(false);
  });

  it('keeps the pidfile of a live process of that name', () => {
    const live = pidfile(String(process.pid));
    expect(clearStalePidfile(live, processInfo(process.pid)?.comm ?? 'node')).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('removes a pidfile that names no process id, and does nothing without one', () => {
    const junk = pidfile('not a pid');
    expect(clearStalePidfile(junk, 'dockerd', () => ({ state: 'S', comm: 'dockerd' }))).toBe(true);
    expect(clearStalePidfile(join(dir, 'absent.pid'), 'dockerd')).toBe(false);
  });

  it('reads this process from /proc, and nothing for a pid that does not exist', () => {
    expect(['R', 'S']).toContain(processInfo(process.pid)?.state);
    expect(processInfo(process.pid)?.comm.length).toBeGreaterThan(0);
    expect(processInfo(2 ** 22 + 1)).toBeUndefined();
  });
});
