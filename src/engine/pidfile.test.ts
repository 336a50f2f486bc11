import { mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearStalePidfile, processState } from './pidfile.js';

describe('clearStalePidfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carina-pidfile-'));
  const pidfile = (content: string) => {
    const path = join(dir, `${Math.random()}.pid`);
    writeFileSync(path, content);
    return path;
  };

  it('removes a pidfile whose process is gone or a zombie', () => {
    const gone = pidfile('4242\n');
    expect(clearStalePidfile(gone, () => undefined)).toBe(true);
    expect(existsSync(gone)).toBe(false);
    const zombie = pidfile('4243');
    expect(clearStalePidfile(zombie, () => 'Z')).toBe(true);
    expect(existsSync(zombie)).toBe(false);
  });

  it('keeps the pidfile of a live process', () => {
    const live = pidfile(String(process.pid));
    expect(clearStalePidfile(live)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('removes a pidfile that names no process id, and does nothing without one', () => {
    const junk = pidfile('not a pid');
    expect(clearStalePidfile(junk, () => 'S')).toBe(true);
    expect(clearStalePidfile(join(dir, 'absent.pid'))).toBe(false);
  });

  it('reads the state of this process as running or sleeping', () => {
    expect(['R', 'S']).toContain(processState(process.pid));
    expect(processState(2 ** 22 + 1)).toBeUndefined();
  });
});
