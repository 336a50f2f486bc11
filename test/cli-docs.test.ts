import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox, disposeServer } from './support/cli.js';
import { countLabelled, TestServer } from './support/server.js';

// The documentation's commands, run verbatim: the CI recipe of docs/ci.md (every block marked
// `<!-- file: NAME -->` is written under NAME and `bash deploy.sh` runs as a CI job would) and the
// 60-second tour of docs/cli.md.
const read = (name: string) => readFileSync(new URL(`../docs/${name}`, import.meta.url), 'utf8');

/** The files of docs/ci.md: a `<!-- file: NAME -->` line followed by a fenced block. */
function recipeFiles(markdown: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- file: ([\w.-]+) -->\n```[\w-]*\n([\s\S]*?)\n```/g)) {
    files.set(m[1] ?? '', `${m[2] ?? ''}\n`);
  }
  return files;
}

/** The first sh block after the tour's heading, without the line that sets the (placeholder) secrets. */
function tourScript(markdown: string): string {
  const block = /## The 60-second tour\n[\s\S]*?```sh\n([\s\S]*?)\n```/.exec(markdown)?.[1] ?? '';
  return block
    .split('\n')
    .filter((l) => !l.startsWith('export CARINA_'))
    .join('\n');
}

describe('the documented commands work as written', () => {
  const server = new TestServer('clidocs', { env: { CARINA_REGISTRY: 'on' } });
  let key = '';
  const sandboxes: CliSandbox[] = [];
  const sandbox = (name: string, env: Record<string, string>) => {
    const s = new CliSandbox(name, { CARINA_ENDPOINT: server.url, CARINA_APIKEY: key, ...env });
    sandboxes.push(s);
    return s;
  };

  beforeAll(async () => {
    await server.start();
    key = await server.createAccount('ci');
  });
  afterAll(async () => {
    await disposeServer(server);
    for (const s of sandboxes) await s.cleanup();
  });

  it('docs/ci.md: the job script runs end to end and leaves nothing behind', async () => {
    const files = recipeFiles(read('ci.md'));
    expect([...files.keys()].sort()).toEqual(['Dockerfile', 'deploy.sh', 'docker-compose.yml', 'stack.yml']);
    // The CI job's environment: secrets as variables, plus a CA-bundle variable some runners set.
    const cli = sandbox('recipe', { CI: 'true', CI_JOB_ID: '4242', CARINA_USERNAME: 'ci', REQUESTS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt' });
    for (const [name, text] of files) await writeFile(join(cli.dir, name), text);
    const r = await cli.shell('bash', 'bash deploy.sh', {}, 170_000);
    console.log(`docs/ci.md recipe: ${r.ms} ms`);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^ClusterName\s+Flavor\s+Nodes\s+AutoScale\s+Status\nci-4242\s+container1-4G\s+2\s+false\s+active$/m);
    expect(r.stdout).toContain('swarm of 2 nodes');
    expect(r.stdout).toContain('compose: web answered');
    expect(r.stdout).toContain('stack: app_worker 2/2');
    expect(r.stdout).toMatch(/^registry: hello 2\/2 from [\d.]+:\d+\/ci\/hello:ci-4242$/m);
    expect(r.stdout).toMatch(/^ci-4242\s+container1-4G\s+2\s+false\s+deleted$/m);
    expect(JSON.parse((await cli.carina(['ls', '--json'])).stdout)).toEqual({ clusters: [] });
    expect(await countLabelled(`carina.instance=${server.instance}`)).toEqual({ containers: 0, volumes: 0, networks: 0 });
  });

  it('docs/cli.md: the 60-second tour', async () => {
    const script = tourScript(read('cli.md'));
    expect(script).toMatch(/^carina create mycluster --nodes 2 --wait/);
    const cli = sandbox('tour', { CARINA_USERNAME: 'ci' });
    const r = await cli.shell('bash', script, {}, 170_000);
    console.log(`docs/cli.md tour: ${r.ms} ms`);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('2 nodes\n');
    expect(r.stdout).toContain('hello\n');
    expect(r.stdout).toMatch(/^mycluster\s+container1-4G\s+2\s+false\s+deleted$/m);
    expect(r.stdout.match(/^\w+\s+web\.[12]\s/gm)).toHaveLength(2);
  });
});
