import { readFileSync } from 'node:fs';

// The `carina` CLI. This first version only prints its version; the command surface
// (create, ls, get, grow, credentials, env, …) lands with the CLI issue.
const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const args = process.argv.slice(2);
if (args.length === 0 || args[0] === 'version' || args[0] === '--version') {
  process.stdout.write(`carina version ${version}\n`);
} else {
  process.stderr.write(`carina: unknown command "${args[0]}"; this build only knows "version" (USAGE)\n`);
  process.exitCode = 2;
}
