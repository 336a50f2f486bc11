import { describe, expect, it } from 'vitest';
import { formatBytes, percentOf, registryQuotaTable, repositoriesTable, shortDigest } from './registry-format.js';

const MiB = 1024 * 1024;
const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('registry output', () => {
  it('formats sizes, percentages and digests', () => {
    expect([0, 512, 1536, 10 * 1024, 5.25 * MiB, 3 * 1024 * MiB].map(formatBytes)).toEqual(['0 B', '512 B', '1.5 KiB', '10 KiB', '5.3 MiB', '3.0 GiB']);
    expect([percentOf(0, 100), percentOf(1, 1000), percentOf(425, 1000), percentOf(2, 1), percentOf(5, 0)]).toEqual(['0%', '<1%', '43%', '200%', '-']);
    expect(shortDigest(digest('a'))).toBe('sha256:aaaaaaaaaaaa');
    expect(shortDigest('odd')).toBe('odd');
  });

  it('lists one row per tag, sorted, then the usage line', () => {
    const text = repositoriesTable({
      repositories: [
        { name: 'alice/web', tags: [], size_bytes: 2048 },
        { name: 'alice/app', tags: [{ name: '2', digest: digest('b'), size_bytes: 5 * MiB }, { name: '1', digest: digest('a'), size_bytes: 12 * MiB }], size_bytes: 14 * MiB },
      ],
      used_bytes: 16 * MiB,
      quota_bytes: 1024 * MiB,
    });
    expect(text).toBe(
      [
        'REPOSITORY  TAG  DIGEST               SIZE',
        'alice/app   1    sha256:aaaaaaaaaaaa  12 MiB',
        'alice/app   2    sha256:bbbbbbbbbbbb  5.0 MiB',
        'alice/web   -    -                    2.0 KiB',
        'used 16 MiB of 1.0 GiB (2%)',
        '',
      ].join('\n'),
    );
  });

  it('says when there is nothing yet', () => {
    expect(repositoriesTable({ repositories: [], used_bytes: 0, quota_bytes: 10 * 1024 * MiB })).toBe(
      'no repositories yet: "carina registry login", then docker push ADDRESS/NAMESPACE/NAME:TAG\nused 0 B of 10 GiB (0%)\n',
    );
  });

  it('shows the quota', () => {
    expect(registryQuotaTable(300 * MiB, 1024 * MiB)).toBe('USED     QUOTA    PERCENT\n300 MiB  1.0 GiB  29%\n');
  });
});
