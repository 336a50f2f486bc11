import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepScript } from './host-cgroups.js';

describe('sweepScript: the helper that hands nodes restarted by their host their cgroups', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('touches only container directories one level under docker/, whose first process runs as the remapped root', () => {
    const script = sweepScript({ uid: 100000, gid: 100000 });
    // One pass, with the host's paths and commands replaced by a scratch tree and recording stand-ins.
    const root = mkdtempSync(join(tmpdir(), 'carina-sweep-'));
    dirs.push(root);
    const cg = join(root, 'cgroup');
    const node = 'a'.repeat(64);
    const guard = 'b'.repeat(64);
    for (const [dir, procs] of [
      [`${cg}/memory/docker/${node}`, '101\n102\n'],
      [`${cg}/cpuset/docker/${node}`, '101\n'],
      [`${cg}/memory/docker/${guard}`, '201\n'],
      [`${cg}/memory/docker/${node}/docker/inner`, '301\n'], // the node's own children: never
      [`${cg}/memory/docker/empty`, ''],
    ] as const) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cgroup.procs'), procs);
    }
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const log = join(root, 'chown.log');
    // stat: the owner of a /proc/PID is 100000 for the node's pid 101, 0 for anything else; of a directory, 0.
    writeFileSync(join(bin, 'stat'), `#!/bin/sh\ncase "$3" in /proc/101) echo 100000 ;; *) echo 0 ;; esac\n`);
    writeFileSync(join(bin, 'chown'), `#!/bin/sh\necho "$@" >> ${log}\n`);
    writeFileSync(join(bin, 'sleep'), '#!/bin/sh\nexit 0\n');
    for (const f of ['stat', 'chown', 'sleep']) chmodSync(join(bin, f), 0o755);
    const onePass = script.replaceAll('/host/cgroup', cg).replace('while :; do', 'for pass in 1; do');
    const out = execFileSync('sh', ['-c', onePass], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
    const changed = readFileSync(log, 'utf8').trim().split('\n').sort();
    expect(changed).toEqual([`100000:100000 ${cg}/cpuset/docker/${node}/`, `100000:100000 ${cg}/memory/docker/${node}/`]);
    expect(out).toContain(`handed ${cg}/memory/docker/${node}/ to 100000`);
  });
});
