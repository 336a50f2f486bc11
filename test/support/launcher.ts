import { readFileSync } from 'node:fs';

/**
 * The node flags a launcher in bin/ runs with when started as a command (its
 * `#!/usr/bin/env -S node …` line), so that tests and benchmarks, which start it with
 * `process.execPath`, run the control plane as users do.
 */
export function launcherNodeFlags(script: string): string[] {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const shebang = /^#!\/usr\/bin\/env (?:-S )?node(?: (.*))?$/.exec(first);
  if (!shebang) throw new Error(`${script} does not start with a #!/usr/bin/env node line: ${first}`);
  return (shebang[1] ?? '').split(' ').filter((flag) => flag !== '');
}
