import { describe, expect, it } from 'vitest';
import { lxcfsMounted } from './lxcfs.js';

describe('lxcfs detection', () => {
  const mounts = [
    'proc /proc proc rw,nosuid 0 0',
    'lxcfs /var/lib/lxcfs fuse.lxcfs rw,nosuid,nodev,relatime,user_id=0,group_id=0,allow_other 0 0',
  ].join('\n');

  it('finds a fuse.lxcfs mount at the directory', () => {
    expect(lxcfsMounted('/var/lib/lxcfs', () => mounts)).toBe(true);
  });

  it('is false for another directory, another filesystem type, or unreadable mounts', () => {
    expect(lxcfsMounted('/srv/lxcfs', () => mounts)).toBe(false);
    expect(lxcfsMounted('/proc', () => mounts)).toBe(false);
    expect(
      lxcfsMounted('/var/lib/lxcfs', () => {
        throw new Error('EACCES');
      }),
    ).toBe(false);
  });
});
