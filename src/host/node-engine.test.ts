import { describe, expect, it } from 'vitest';
import type { CommandResult, CommandRunner } from './host-setup.js';
import { chooseNodeEngine, ensureNodeEngine, NODE_ENGINE, type NodeEngineSetupOptions } from './node-engine.js';
import { ensureUplink } from './node-uplink.js';

/** A fake machine: commands run (and which of them fail), whether the netns exists, when the engine answers. */
function fakeMachine(over: { up?: boolean; netns?: boolean; failing?: (line: string) => boolean } = {}) {
  const lines: string[] = [];
  let started = false;
  const run: CommandRunner = {
    run: (command, args): Promise<CommandResult> => {
      const line = [command, ...args].join(' ');
      lines.push(line);
      return Promise.resolve({ code: over.failing?.(line) ? 1 : 0, stdout: '', stderr: '' });
    },
    onPath: () => Promise.resolve(true),
    startDetached: (command, args) => {
      lines.push(`start ${[command, ...args].join(' ')}`);
      started = true;
      return Promise.resolve();
    },
  };
  const opts: NodeEngineSetupOptions = {
    engineHost: NODE_ENGINE.socket,
    dataDir: '/var/lib/carina',
    log: () => undefined,
    isRoot: true,
    isDebian: true,
    run,
    ping: () => Promise.resolve(over.up === true || started),
    clearPidfile: (path, name) => {
      lines.push(`clear ${name} ${path}`);
      return false;
    },
    netnsExists: () => over.netns === true,
  };
  return { lines, opts };
}

describe('ensureNodeEngine', () => {
  it('creates the network namespace and its uplink, then starts dockerd --userns-remap inside it', async () => {
    const m = fakeMachine({ failing: (l) => l === 'ip link show carina-nodes' || l.startsWith('iptables -t') && l.includes(' -C ') });
    await expect(ensureNodeEngine(m.opts)).resolves.toEqual({ kind: 'ready', started: true });
    expect(m.lines.slice(0, 3)).toEqual(['ip netns add carina-nodes', 'ip -n carina-nodes link set lo up', 'ip link show carina-nodes']);
    expect(m.lines).toContain('ip link add carina-nodes type veth peer name uplink netns carina-nodes');
    expect(m.lines).toContain('ip -n carina-nodes route replace default via 169.254.213.1');
    expect(m.lines).toContain('clear dockerd /run/carina-nodes/dockerd.pid');
    expect(m.lines).toContain('clear containerd /run/carina-nodes/exec/containerd/containerd.pid');
    expect(m.lines.at(-1)).toBe(
      'start nsenter --net=/run/netns/carina-nodes dockerd --host unix:///run/carina-nodes/docker.sock --data-root /var/lib/carina-nodes ' +
        '--exec-root /run/carina-nodes/exec --pidfile /run/carina-nodes/dockerd.pid --userns-remap default --bridge none',
    );
  });

  it('reuses a running engine, renewing its uplink rules (they may have been flushed)', async () => {
    const m = fakeMachine({ up: true, netns: true });
    await expect(ensureNodeEngine(m.opts)).resolves.toEqual({ kind: 'ready', started: false });
    expect(m.lines.some((l) => l.startsWith('start'))).toBe(false);
    expect(m.lines).toContain('iptables -t nat -C POSTROUTING -s 169.254.213.2/32 ! -o carina-nodes -j MASQUERADE');
  });

  it('starts nothing for an engine elsewhere, or when not root: it says what to do', async () => {
    const elsewhere = fakeMachine();
    const r1 = await ensureNodeEngine({ ...elsewhere.opts, engineHost: 'unix:///tmp/x.sock' });
    expect(r1.kind === 'manual' && r1.instructions).toMatch(/CARINA_NODE_ENGINE=host/);
    const user = fakeMachine();
    const r2 = await ensureNodeEngine({ ...user.opts, isRoot: false });
    expect(r2.kind === 'manual' && r2.instructions).toMatch(/--userns-remap default/);
    expect([...elsewhere.lines, ...user.lines]).toEqual([]);
  });
});

describe('ensureUplink', () => {
  it('adds only the host rules that are missing, drops into docker bridges before the accepts', async () => {
    const m = fakeMachine({ failing: (l) => l.includes('-C FORWARD') });
    await ensureUplink(m.opts.run, 'carina-nodes');
    expect(m.lines).not.toContain('ip link add carina-nodes type veth peer name uplink netns carina-nodes'); // the link exists
    const inserts = m.lines.filter((l) => l.includes(' -I FORWARD 1 '));
    expect(inserts.at(-1)).toBe('iptables -t filter -I FORWARD 1 -i carina-nodes -o br-+ -j DROP'); // last inserted = first in the chain
    expect(inserts[0]).toBe('iptables -t filter -I FORWARD 1 -i carina-nodes -j ACCEPT');
    expect(m.lines.some((l) => l.includes('-A POSTROUTING'))).toBe(false); // present already
  });
});

describe('chooseNodeEngine', () => {
  it('keeps clusters made on the host engine where their swarm state is, unless told otherwise', () => {
    expect(chooseNodeEngine('userns', true, 0)).toEqual({ mode: 'userns' });
    expect(chooseNodeEngine('host', true, 3)).toEqual({ mode: 'host' });
    expect(chooseNodeEngine('host', false, 0)).toEqual({ mode: 'host' });
    const kept = chooseNodeEngine('userns', true, 3);
    expect(kept).toMatchObject({ mode: 'host' });
    expect('warning' in kept && kept.warning).toMatch(/^3 node container\(s\) .* WITHOUT a user namespace .* delete and re-create those clusters, then restart with CARINA_NODE_ENGINE=userns$/);
    const refused = chooseNodeEngine('userns', false, 2);
    expect('refused' in refused && refused.refused).toMatch(/^CARINA_NODE_ENGINE=userns, but 2 node container\(s\)/);
  });
});
