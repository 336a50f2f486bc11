import { describe, expect, it } from 'vitest';
import { DEFAULT_DEBIAN_MIRROR, debianMirror, parseAptSources } from './apt-mirror.js';

const debianSources = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`;

describe('parseAptSources', () => {
  it('reads the URIs of the deb822 stanza whose suites include bookworm', () => {
    expect(parseAptSources([{ path: '/etc/apt/sources.list.d/debian.sources', content: debianSources }])).toBe(
      'http://mirror.example/debian',
    );
  });

  it('never picks the security archive, deb-src, disabled stanzas or other suites', () => {
    const content = `Types: deb
URIs: http://sec.example/debian-security
Suites: bookworm-security

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm

Types: deb
Enabled: no
URIs: http://off.example/debian
Suites: bookworm

Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
`;
    expect(parseAptSources([{ path: 'x.sources', content }])).toBeUndefined();
  });

  it('handles field case, CRLF, continuation lines and several URIs', () => {
    const content = 'types: deb\r\nuris:\r\n http://a.example/debian/\r\n http://b.example/debian\r\nsuites: bookworm\r\n';
    expect(parseAptSources([{ path: 'x.sources', content }])).toBe('http://a.example/debian');
  });

  it('skips URI schemes debootstrap cannot fetch', () => {
    const content = 'Types: deb\nURIs: mirror+file:/etc/apt/mirrors.txt cdrom:/media https://c.example/debian\nSuites: bookworm\n';
    expect(parseAptSources([{ path: 'x.sources', content }])).toBe('https://c.example/debian');
  });

  it('reads one-line sources, with or without options', () => {
    const content = `# deb http://commented.example/debian bookworm main
deb http://sec.example/debian-security bookworm-security main
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main contrib
`;
    expect(parseAptSources([{ path: '/etc/apt/sources.list', content }])).toBe('http://one.example/debian');
  });

  it('takes the first file that names a mirror', () => {
    expect(
      parseAptSources([
        { path: '/etc/apt/sources.list', content: '' },
        { path: 'a.sources', content: debianSources },
        { path: 'b.list', content: 'deb http://later.example/debian bookworm main' },
      ]),
    ).toBe('http://mirror.example/debian');
  });
});

describe('debianMirror', () => {
  it('reads sources.list then sources.list.d/ in name order, ignoring other suffixes', () => {
    const files: Record<string, string> = {
      '/etc/apt/sources.list.d/b.sources': debianSources,
      '/etc/apt/sources.list.d/a.list.disabled': 'deb http://disabled.example/debian bookworm main',
      '/etc/apt/sources.list.d/a.sources': 'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n',
    };
    const read = (path: string): string => {
      const content = files[path];
      if (content === undefined) throw new Error(`ENOENT: ${path}`);
      return content;
    };
    const list = (): string[] => Object.keys(files).map((p) => p.split('/').pop() ?? '');
    expect(debianMirror(read, list)).toBe('http://mirror.example/debian');
  });

  it('falls back to deb.debian.org when apt names no mirror', () => {
    const missing = (): never => {
      throw new Error('ENOENT');
    };
    expect(debianMirror(missing, missing)).toBe(DEFAULT_DEBIAN_MIRROR);
  });
});
