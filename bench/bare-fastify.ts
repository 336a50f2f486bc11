import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { processMemory } from './machine.js';
import type { Guard } from './guard.js';

const ROOT = new URL('..', import.meta.url).pathname;

// Plain JavaScript, run by node itself (no tsx loader in its heap): the least a Fastify route can do.
const SERVER = `
const app = require('fastify')({ logger: false });
let body = Buffer.alloc(0);
process.stdin.on('data', (chunk) => { body = Buffer.concat([body, chunk]); });
process.stdin.on('end', () => {
  app.get('/static', (request, reply) => reply.type('application/json; charset=utf-8').send(body));
  app.listen({ host: '127.0.0.1', port: 0 }).then(() => process.stdout.write(app.server.address().port + '\\n'));
});
`;

/**
 * The baseline the API figures are divided by (issue 16): a bare Fastify route in a process of its
 * own answering `body` (the API's own answer, so the same size and bytes) as static JSON: no
 * authentication, no store, no hooks. Run beside the control plane, measured in the same run under
 * the same load, so a busy machine slows both and the ratio shows what Carina adds.
 */
export class BareFastify {
  readonly #child: ChildProcess;
  #cleanup: () => Promise<void> = () => Promise.resolve();
  url = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(body: Buffer, guard: Guard): Promise<BareFastify> {
    const child = spawn(process.execPath, ['-e', SERVER], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const bare = new BareFastify(child);
    bare.#cleanup = guard.defer('bare Fastify baseline', () => bare.#kill());
    child.stdin?.end(body);
    const stdout = child.stdout;
    if (!stdout) throw new Error('the bare Fastify baseline has no stdout');
    const [line] = (await Promise.race([once(stdout, 'data'), once(child, 'exit').then(() => [Buffer.from('')])])) as [Buffer];
    const port = Number(line.toString().trim());
    if (!Number.isInteger(port) || port <= 0) throw new Error('the bare Fastify baseline did not start');
    bare.url = `http://127.0.0.1:${port}/static`;
    return bare;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** VmRSS / VmHWM of the baseline's process. */
  memory(): { rssBytes: number; hwmBytes: number } | undefined {
    return this.#child.pid === undefined ? undefined : processMemory(this.#child.pid);
  }

  /** Kills the process (and takes it off the guard's clean-ups). */
  stop(): Promise<void> {
    return this.#cleanup();
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}
