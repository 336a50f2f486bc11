import { describe, expect, it } from 'vitest';
import type { Io } from './context.js';
import { buildProgram, failureOf, runCli } from './program.js';
import { describeCommands } from './info-commands.js';

/** An Io that records output and has no configuration at all (nothing here reaches the network). */
function memoryIo(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { env: { CARINA_HOME: '/nonexistent/carina-unit', ...env }, cwd: '/', home: '/nonexistent', stderrIsTTY: false, out: (s) => void out.push(s), err: (s) => void err.push(s) };
  return { io, out, err };
}

async function run(argv: string[], env?: Record<string, string>) {
  const m = memoryIo(env);
  try {
    await runCli(argv, m.io, '9.9.9');
    return { code: 0, line: '', out: m.out.join(''), json: undefined as string | undefined };
  } catch (error) {
    const f = failureOf(error, argv);
    return { code: f.exitCode, line: f.line, out: m.out.join(''), json: f.json };
  }
}

describe('carina command line', () => {
  it('prints the version (command, --version, --json)', async () => {
    expect((await run(['version'])).out).toBe('carina version 9.9.9\n');
    expect((await run(['--version'])).out).toBe('carina version 9.9.9\n');
    expect(JSON.parse((await run(['version', '--json'])).out)).toEqual({ version: '9.9.9' });
  });

  it('prints help with exit 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: carina/);
    expect((await run([])).out).toMatch(/Commands:/);
  });

  it('reports usage errors as one line with exit 2', async () => {
    expect(await run(['frobnicate'])).toMatchObject({ code: 2, line: `carina: unknown command 'frobnicate'; see "carina --help" (CARINA_ERR_USAGE)` });
    expect((await run(['create'])).line).toBe(`carina: missing required argument 'name'; see "carina create --help" (CARINA_ERR_USAGE)`);
    expect((await run(['grow', 'demo'])).line).toMatch(/grow needs --by N/);
    expect((await run(['grow', 'demo', '--by', '1', '--nodes=2'])).line).toMatch(/disagree/);
    expect((await run(['create', 'demo', '--timeout', '5m'])).line).toMatch(/--timeout only applies with --wait/);
    expect((await run(['create', '9lives'])).code).toBe(2);
    expect((await run(['autoscale', 'demo', 'maybe'])).code).toBe(2);
    expect((await run(['env', 'demo', '--shell', 'tcsh'])).line).toMatch(/unknown shell "tcsh"/);
    expect((await run(['completion', 'tcsh'])).code).toBe(2);
    expect(await run(['registry'])).toMatchObject({ code: 2, line: `carina: "carina registry" needs a command; see "carina registry --help" (CARINA_ERR_USAGE)` });
    expect((await run(['registry', 'frob'])).line).toBe(`carina: unknown command 'frob'; see "carina registry --help" (CARINA_ERR_USAGE)`);
    expect((await run(['registry', 'rm', 'a:1', 'b:2'])).code).toBe(2);
  });

  it('says which flags, variables and profile to set when there are no credentials (exit 3)', async () => {
    const r = await run(['ls']);
    expect(r.code).toBe(3);
    expect(r.line).toMatch(/^carina: no credentials: pass --apikey \(or set CARINA_APIKEY\).*\[default\] profile.*\/nonexistent\/carina-unit\/config.toml.*CARINA_PROFILE.* \(CARINA_ERR_NO_CREDENTIALS\)$/);
  });

  it('adds a JSON error document with --json', async () => {
    const r = await run(['ls', '--json']);
    expect(JSON.parse(r.json ?? '')).toMatchObject({ error: { code: 'CARINA_ERR_NO_CREDENTIALS', exit_code: 3 } });
  });

  it('describes every command with its aliases for completion', () => {
    const specs = describeCommands(buildProgram(memoryIo().io, '1'));
    const byName = Object.fromEntries(specs.map((s) => [s.name, s]));
    expect(byName.ls?.aliases).toEqual(['list', 'clusters']);
    expect(byName.rm?.aliases).toEqual(['delete']);
    expect(byName.flavors?.aliases).toEqual(['templates']);
    expect(byName.get?.takesCluster).toBe(true);
    expect(byName.quotas?.takesCluster).toBe(false);
    expect(byName['']?.valueOptions).toEqual(['--endpoint', '--username', '--apikey', '--profile', '--cacert']);
    expect(byName.create?.options).toEqual(['--wait', '--timeout', '--nodes', '--autoscale', '--flavor']);
  });
});
