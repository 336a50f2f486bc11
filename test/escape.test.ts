import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { hostDocker, nodeDocker, nodeEngineHost, TestServer } from './support/server.js';

/** Runs `script` with sh as root inside a node container (docker exec from the control plane's side). */
function asRootInNode(container: string, script: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('docker', ['-H', nodeEngineHost, 'exec', '-u', '0', container, 'sh', '-c', script], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code;
      resolve({ code: typeof code === 'number' ? code : error ? 1 : 0, out: `${stdout}${stderr}` });
    });
  });
}

/** Host-side: a command's output (empty when it fails). */
function onHost(command: string, args: string[]): Promise<string> {
  return new Promise((resolve) => execFile(command, args, (error, stdout) => resolve(error ? '' : stdout)));
}

/** `( exec 3>>FILE )`: opens FILE for writing without writing a byte (the kernel checks permission at open). */
const openForWrite = (file: string, label: string) => `( exec 3>>${file} ) 2>/dev/null && echo "OPENED ${label}" || echo "REFUSED ${label}"`;

// Known paths from root in a container to root on the host, tried as root inside a node: the
// strongest position a tenant could reach (through a gap in the gateway's policy, or an escape from
// a nested container). Every one must fail because the node runs in a user namespace (its root is
// an unprivileged host uid) on an engine in a network namespace of its own. In host mode
// (CARINA_NODE_ENGINE=host) several of them succeed: that is why userns is the default.
describe.skipIf(nodeDocker === hostDocker)('escape attempts from root inside a node', () => {
  const server = new TestServer('escape');
  let id = '';
  let api: ApiClient;
  const node = (index: number) => `carina-${id}-n${index}`;
  const inNode = (script: string) => asRootInNode(node(0), script);
  const freshProc = 'mkdir -p /tmp/esc-proc; mountpoint -q /tmp/esc-proc || mount -t proc proc /tmp/esc-proc && echo MOUNTED-PROC';

  beforeAll(async () => {
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('mallory'));
    id = (await api.request('POST', '/v1/clusters', { name: 'esc', nodes: 2 })).body.id;
  });
  // Each attempt from a settled cluster (the platform restarts nodes whose lxcfs went away, e.g.).
  beforeEach(() => api.waitFor('esc', (c) => c.status === 'active' && c.nodes_ready === 2));
  afterAll(() => server.cleanup());

  it('is root inside the node, but an unprivileged user on the host', async () => {
    const { out } = await inNode('id -u; cat /proc/self/uid_map');
    const [uid, map] = out.trim().split('\n');
    expect(uid).toBe('0');
    const [inside, outside] = (map ?? '').trim().split(/\s+/).map(Number);
    expect(inside).toBe(0);
    expect(outside).toBeGreaterThanOrEqual(65536); // root maps to a subordinate uid, not 0
    const pid = (await nodeDocker.getContainer(node(0)).inspect()).State.Pid;
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${outside}\\s`, 'm'));
  });

  it('cannot write core_pattern, even through a fresh proc mount', async () => {
    const before = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    const { out } = await inNode(`${freshProc}; ${openForWrite('/tmp/esc-proc/sys/kernel/core_pattern', 'fresh')}; ${openForWrite('/proc/sys/kernel/core_pattern', 'own')}`);
    expect(out).toContain('MOUNTED-PROC'); // the mount itself works: the refusal is the user namespace's
    expect(out).toContain('REFUSED fresh');
    expect(out).toContain('REFUSED own');
    expect(readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(before);
  });

  it('cannot write /proc/sysrq-trigger', async () => {
    const { out } = await inNode(`${freshProc}; ${openForWrite('/tmp/esc-proc/sysrq-trigger', 'fresh')}; ${openForWrite('/proc/sysrq-trigger', 'own')}`);
    expect(out).toContain('REFUSED fresh');
    expect(out).toContain('REFUSED own');
  });

  it('cannot load a kernel module (finit_module and init_module are refused with EPERM)', async () => {
    // EPERM, not ENOEXEC: the kernel refused the caller before looking at the (non-module) file.
    const { out } = await inNode(
      `perl -e 'open(my $f, "<", "/bin/true") or die; my ($args, $image) = ("", "junk"); ` +
        `syscall(313, fileno($f), $args, 0); print "finit ", $!+0, "\\n"; syscall(175, $image, 4, $args); print "init ", $!+0, "\\n"'`,
    );
    expect(out).toContain('finit 1');
    expect(out).toContain('init 1');
  });

  it("cannot mount the host's block device", async () => {
    const root = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
    const [major, minor] = (root?.split(' ')[2] ?? '').split(':');
    expect(Number(major)).toBeGreaterThan(0);
    const { out } = await inNode(
      `mknod /tmp/esc-blk b ${major} ${minor} 2>/dev/null && echo MKNOD; mkdir -p /tmp/esc-mnt; ` +
        `mount -o ro /tmp/esc-blk /tmp/esc-mnt 2>/dev/null && echo MOUNTED-BLK || echo REFUSED-MOUNT; ` +
        `head -c 512 /tmp/esc-blk >/dev/null 2>&1 && echo READ-BLK; ls /dev | tr '\\n' ' '`,
    );
    expect(out).toContain('REFUSED-MOUNT');
    expect(out).not.toMatch(/MKNOD|MOUNTED-BLK|READ-BLK/);
    expect(out).not.toMatch(/\bvd[a-z]|\bsd[a-z]|\bnvme/); // no host disk among the node's devices
  });

  it('cannot read /proc/kcore', async () => {
    const { out } = await inNode(`${freshProc}; head -c 16 /tmp/esc-proc/kcore >/dev/null 2>&1 && echo READ-FRESH || echo REFUSED-FRESH; echo "own $(head -c 16 /proc/kcore 2>/dev/null | wc -c)"`);
    expect(out).toContain('REFUSED-FRESH');
    expect(out).toContain('own 0'); // Docker masks it (/dev/null)
  });

  it("cannot set a cgroup release_agent (the kernel runs it as the host's root)", async () => {
    const { out } = await inNode(
      'for opt in memory pids rdma none,name=carinaesc; do d=/tmp/esc-cg-$(echo $opt | tr -c a-z0-9 _); mkdir -p $d; ' +
        `if mount -t cgroup -o $opt cgroup $d 2>/dev/null; then ${openForWrite('$d/release_agent', '$opt')}; umount $d; else echo "NOMOUNT $opt"; fi; done; ` +
        `for f in /sys/fs/cgroup/*/release_agent; do ${openForWrite('$f', 'own')}; done`,
    );
    expect(out).not.toContain('OPENED');
    expect(out).toContain('NOMOUNT none,name=carinaesc'); // no new hierarchy from a user namespace
  });

  it("cannot reach the host engine's socket, or any engine but its own", async () => {
    const hostname = (await inNode('hostname')).out.trim();
    const { out } = await inNode(
      'for s in $(find / \\( -path /proc -o -path /sys -o -path /var/lib/docker \\) -prune -o -type s -print 2>/dev/null) /var/run/docker.sock /run/docker.sock /run/carina-nodes/docker.sock; do ' +
        'echo "$s => $(timeout 3 docker -H unix://$s info --format "{{.Name}}" 2>/dev/null)"; done',
    );
    const answered = out.trim().split('\n').map((l) => l.split(' => ')).filter(([, name]) => name);
    expect(answered.length).toBeGreaterThan(0); // its own engine answers…
    for (const [socket, name] of answered) expect({ socket, name }).toEqual({ socket, name: hostname }); // …and no other
    expect(out).toMatch(/\/var\/run\/docker\.sock => \n/);
  });

  it('cannot see, signal or ptrace the processes of another node', async () => {
    const victim = (await nodeDocker.getContainer(node(1)).inspect()).State.Pid; // node 1's dockerd, a host pid
    expect(victim).toBeGreaterThan(1000); // far above the few pids of node 0's own namespace
    const { out } = await inNode(
      `${freshProc}; test -e /tmp/esc-proc/${victim} && echo VISIBLE || echo INVISIBLE; ` +
        `kill -TERM ${victim} 2>/dev/null && echo SIGNALLED || echo NO-SIGNAL; ` +
        `perl -e 'syscall(101, 16, ${victim}, 0, 0) == -1 and print "ptrace ", $!+0, "\\n"'`,
    );
    expect(out).toContain('INVISIBLE');
    expect(out).toContain('NO-SIGNAL');
    expect(out).toMatch(/ptrace (1|3)\b/); // EPERM or ESRCH
    expect((await nodeDocker.getContainer(node(1)).inspect()).State.Pid).toBe(victim); // still the same process
  });

  it("cannot change the host's network: interfaces and iptables stay the host's", async () => {
    const hostLinks = await onHost('ip', ['-o', 'link', 'show']);
    const macs = (links: string) => new Set([...links.matchAll(/link\/ether ([0-9a-f:]{17})/g)].map((m) => m[1]));
    const { out } = await inNode(
      'ip link add esc-veth0 type veth peer name esc-veth1 && echo ADDED-LINK; iptables -N CARINA-ESC && iptables -I INPUT -j CARINA-ESC && echo ADDED-RULE; ' +
        'echo "NETNS $(readlink /proc/self/ns/net)"; ip -o link show; ' +
        'iptables -D INPUT -j CARINA-ESC; iptables -X CARINA-ESC; ip link del esc-veth0; true',
    );
    // Both work, in the node's own network namespace: neither the host's nor the node engine's.
    expect(out).toContain('ADDED-LINK');
    expect(out).toContain('ADDED-RULE');
    const own = /NETNS (net:\[\d+\])/.exec(out)?.[1];
    expect(own).toMatch(/^net:\[\d+\]$/);
    expect(own).not.toBe(await onHost('readlink', ['/proc/self/ns/net']).then((o) => o.trim()));
    expect(own).not.toBe(await onHost('ip', ['netns', 'exec', 'carina-nodes', 'readlink', '/proc/self/ns/net']).then((o) => o.trim()));
    for (const mac of macs(out)) expect(macs(hostLinks).has(mac), `the node sees host interface ${mac}`).toBe(false);
    expect(await onHost('ip', ['-o', 'link', 'show', 'esc-veth0'])).toBe('');
    expect(await onHost('iptables', ['-S', 'CARINA-ESC'])).toBe('');
    expect(await onHost('ip', ['netns', 'exec', 'carina-nodes', 'iptables', '-S', 'CARINA-ESC'])).toBe('');
    const names = (links: string) => links.split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).filter((n) => n && !/^(veth|br-)/.test(n)).sort();
    expect(names(await onHost('ip', ['-o', 'link', 'show']))).toEqual(names(hostLinks));
  });

  it('cannot raise its own cgroup limits', async () => {
    const files = ['memory/memory.limit_in_bytes', 'memory/memory.memsw.limit_in_bytes', 'cpu/cpu.cfs_quota_us', 'pids/pids.max', 'cpuset/cpuset.cpus'];
    const { out } = await inNode(
      `${files.map((f) => `[ -e /sys/fs/cgroup/${f} ] && ${openForWrite(`/sys/fs/cgroup/${f}`, f)}`).join('; ')}; ` +
        `mkdir -p /tmp/esc-mem; mount -t cgroup -o memory cgroup /tmp/esc-mem 2>/dev/null && { ${openForWrite('/tmp/esc-mem/memory.limit_in_bytes', 'remounted')}; umount /tmp/esc-mem; }; true`,
    );
    expect(out).toContain('REFUSED memory/memory.limit_in_bytes');
    expect(out).toContain('REFUSED cpu/cpu.cfs_quota_us');
    expect(out).not.toContain('OPENED');
    const info = await nodeDocker.getContainer(node(0)).inspect();
    const limit = readFileSync(`/sys/fs/cgroup/memory/docker/${info.Id}/memory.limit_in_bytes`, 'utf8').trim();
    expect(Number(limit)).toBe(4 * 1024 ** 3);
  });

  it('still runs nested containers with their own limits (the delegation the escapes do not get)', async () => {
    const { out, code } = await inNode('docker -H unix:///run/carina/docker.sock run --rm --memory 64m carina/busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes');
    expect({ code, out: out.trim() }).toEqual({ code: 0, out: String(64 * 1024 ** 2) });
  });
});
