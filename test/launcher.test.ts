import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { launcherNodeFlags } from './support/launcher.js';

const ROOT = join(import.meta.dirname, '..');
const run = promisify(execFile);

// `carina-server` as users start it: the script itself, through its #! line (env -S passes node
// its flags), not `node bin/carina-server.js`.
describe('the carina-server command', () => {
  it('runs through its #! line, and tests and benchmarks start it with the same node flags', async () => {
    const script = join(ROOT, 'bin/carina-server.js');
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const { stdout } = await run(script, ['--version'], { timeout: 30_000 });
    expect(stdout.trim()).toBe(version);
    expect(launcherNodeFlags(script)).toEqual(['--max-semi-space-size=4']);
  });
});
