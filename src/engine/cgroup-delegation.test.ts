import { describe, expect, it } from 'vitest';
import { cgroupDirs, remappedRoot } from './cgroup-delegation.js';

const ID = '2c59a009a69856c124322b1ee4fe59ccacde91d9efad7b8c9dcc50078c200e54';
// This machine's mounts (cgroup v1 with separate cpu and cpuacct, hybrid unified) and one node's /proc/PID/cgroup.
const MOUNTS = [
  'tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0',
  'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime 0 0',
  'cgroup /sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,name=systemd 0 0',
  'cgroup /sys/fs/cgroup/cpu cgroup rw,nosuid,nodev,noexec,relatime,cpu 0 0',
  'cgroup /sys/fs/cgroup/cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpuacct 0 0',
  'cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0',
  'cgroup /sys/fs/cgroup/cpuset cgroup rw,nosuid,nodev,noexec,relatime,cpuset 0 0',
  '',
].join('\n');

describe('cgroup delegation', () => {
  it('finds the remapped root in docker info, and nothing for an engine without --userns-remap', () => {
    expect(remappedRoot({ SecurityOptions: ['name=seccomp,profile=default', 'name=userns'], DockerRootDir: '/var/lib/carina-nodes/100000.100000' })).toEqual({ uid: 100000, gid: 100000 });
    expect(remappedRoot({ SecurityOptions: ['name=seccomp,profile=default'], DockerRootDir: '/var/lib/docker' })).toBeUndefined();
    expect(remappedRoot({ SecurityOptions: ['name=userns'], DockerRootDir: '/var/lib/docker' })).toBeUndefined();
    expect(remappedRoot({ SecurityOptions: ['name=userns'], DockerRootDir: '/x/0.0' })).toBeUndefined(); // never root itself
    expect(remappedRoot({ SecurityOptions: null })).toBeUndefined();
  });

  it("lists the container's own cgroup directories under each hierarchy's mount point", () => {
    const proc = [`9:name=systemd:/docker/${ID}`, `4:memory:/docker/${ID}`, `3:cpuset:/docker/${ID}`, `2:cpuacct:/docker/${ID}`, `1:cpu:/docker/${ID}`, `0::/docker/${ID}`, ''].join('\n');
    expect(cgroupDirs(proc, MOUNTS, ID)).toEqual([
      `/sys/fs/cgroup/systemd/docker/${ID}`,
      `/sys/fs/cgroup/memory/docker/${ID}`,
      `/sys/fs/cgroup/cpuset/docker/${ID}`,
      `/sys/fs/cgroup/cpuacct/docker/${ID}`,
      `/sys/fs/cgroup/cpu/docker/${ID}`,
      `/sys/fs/cgroup/unified/docker/${ID}`,
    ]);
  });

  it('finds co-mounted controllers (cpu,cpuacct) by their first name', () => {
    const mounts = 'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\n';
    expect(cgroupDirs(`2:cpu,cpuacct:/docker/${ID}\n`, mounts, ID)).toEqual([`/sys/fs/cgroup/cpu,cpuacct/docker/${ID}`]);
  });

  it('never hands out a cgroup that is not the container\'s own (the root, a parent, another container)', () => {
    const proc = ['4:memory:/', '3:cpuset:/docker', `1:cpu:/docker/${ID}/..`, '2:cpuacct:/docker/other', `8:pids:/docker/${ID}`].join('\n');
    expect(cgroupDirs(proc, MOUNTS, ID)).toEqual([]); // pids is not mounted in MOUNTS
  });
});
