import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Io } from './context.js';
import { failureOf, runCli } from './program.js';

// The `carina` entry point (bin/carina.js runs the compiled dist/src/cli/main.js). The only
// module that touches process-wide state: exit codes, stdout/stderr, argv.

/** The version in the package's package.json (two or three levels up: src/cli or dist/src/cli). */
function readVersion(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'carina' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

// `carina ls | head` closes stdout early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
});
// Ctrl-C during --wait: end the live progress line before the shell prints its prompt.
process.once('SIGINT', () => {
  if (process.stderr.isTTY) process.stderr.write('\n');
  process.exit(130);
});

const io: Io = {
  env: process.env,
  cwd: process.cwd(),
  home: homedir(),
  stderrIsTTY: process.stderr.isTTY === true,
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};
const argv = process.argv.slice(2);
try {
  await runCli(argv, io, readVersion());
} catch (error) {
  const failure = failureOf(error, argv);
  if (failure.json) io.out(failure.json);
  io.err(`${failure.line}\n`);
  process.exitCode = failure.exitCode;
}
