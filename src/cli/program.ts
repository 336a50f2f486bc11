import { Command, CommanderError, Option } from 'commander';
import { registerClusterCommands } from './cluster-commands.js';
import type { MakeContext } from './command-kit.js';
import { Context, type GlobalOptions, type Io } from './context.js';
import { registerCredentialCommands } from './credential-commands.js';
import { CliCode, errorLine, ExitCode, toCliError } from './errors.js';
import { toJson } from './format.js';
import { registerInfoCommands } from './info-commands.js';
import { registerRegistryCommands } from './registry-commands.js';

/** The whole command tree, writing through `io` and throwing instead of exiting. */
export function buildProgram(io: Io, version: string): Command {
  const program = new Command('carina')
    .description('Create and use Carina Docker Swarm clusters through the Carina API.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: () => undefined })
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError(true)
    .option('--endpoint <url>', 'Carina API URL (env CARINA_ENDPOINT; default http://127.0.0.1:8080)')
    .option('--username <name>', 'account name, sent with the key as HTTP Basic (env CARINA_USERNAME)')
    .option('--apikey <key>', 'API key (env CARINA_APIKEY; alias --api-key)')
    .addOption(new Option('--api-key <key>', 'alias of --apikey').hideHelp())
    .option('--profile <name>', 'profile of $CARINA_HOME/config.toml to use (env CARINA_PROFILE)')
    .option('--cacert <file>', "CA certificate (PEM) to trust for an https:// endpoint, e.g. the server's api-ca.pem (env CARINA_CACERT)")
    .option('--insecure-http', 'send the API key to a non-loopback http:// endpoint anyway (clear text)')
    .option('--json', 'print machine-readable JSON instead of tables and text')
    .option('--debug', 'print the HTTP exchange on stderr (secrets redacted)');
  const make: MakeContext = (command) => {
    const o = command.optsWithGlobals<GlobalOptions & { apiKey?: string }>();
    return new Context(io, { ...o, apikey: o.apikey ?? o.apiKey }, version);
  };
  registerClusterCommands(program, make);
  registerCredentialCommands(program, make);
  registerInfoCommands(program, make);
  registerRegistryCommands(program, make);
  return program;
}

/** Runs one invocation; resolves when done, throws what went wrong (see `failureOf`). */
export async function runCli(argv: readonly string[], io: Io, version: string): Promise<void> {
  const program = buildProgram(io, version);
  const args = argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v') ? ['version'] : [...argv];
  if (args.length === 0) {
    io.out(program.helpInformation());
    return;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return;
    throw error;
  }
}

/** What a failure prints and the exit code: one stderr line, plus a JSON error document with --json. */
export function failureOf(error: unknown, argv: readonly string[]): { exitCode: number; line: string; json: string | undefined } {
  let code: string;
  let message: string;
  let exitCode: number;
  if (error instanceof CommanderError) {
    const command = argv.find((a) => !a.startsWith('-'));
    // An unknown command under a group (`carina registry frob`) is helped by the group's help.
    const unknownTop = error.code === 'commander.unknownCommand' && /'([^']*)'/.exec(error.message)?.[1] === command;
    const help = command && /^[a-z]+$/.test(command) && !unknownTop ? `carina ${command} --help` : 'carina --help';
    // A group run without its command has printed its help (on stderr): say what was missing.
    const what = error.code === 'commander.help' ? `"carina ${command ?? ''}" needs a command` : error.message.replace(/^error:\s*/, '');
    code = CliCode.USAGE;
    message = `${what.replace(/\s*\n\s*/g, ' ').trim()}; see "${help}"`;
    exitCode = ExitCode.USAGE;
  } else {
    const e = toCliError(error);
    code = e.code;
    message = e.message;
    exitCode = e.exitCode;
  }
  const json = argv.includes('--json') ? toJson({ error: { code, message, exit_code: exitCode } }) : undefined;
  return { exitCode, line: errorLine(code, message), json };
}
