import { formatTable } from './format.js';
import type { RepositoryList } from './types.js';

/** `12.3 MiB`, `512 B`: binary units, one decimal under 10. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.max(0, n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const shown = i === 0 || v >= 10 ? String(Math.round(v)) : (Math.round(v * 10) / 10).toFixed(1);
  return `${shown} ${units[i] ?? 'B'}`;
}

/** `42%`; `<1%` for a little, `-` without a quota. */
export function percentOf(used: number, quota: number): string {
  if (quota <= 0) return '-';
  const p = (used / quota) * 100;
  if (used > 0 && p < 1) return '<1%';
  return `${Math.round(p)}%`;
}

/** `sha256:0123456789ab`: the algorithm and the first 12 hex digits, as docker shortens ids. */
export function shortDigest(digest: string): string {
  const m = /^([a-z0-9]+):([a-f0-9]{12})[a-f0-9]*$/.exec(digest);
  return m ? `${m[1]}:${m[2]}` : digest;
}

/** The usage line under `carina registry ls`. */
export function usageLine(used: number, quota: number): string {
  return `used ${formatBytes(used)} of ${formatBytes(quota)} (${percentOf(used, quota)})\n`;
}

/** `carina registry ls`: one row per tag (a repository without tags shows `-`), then the usage line. */
export function repositoriesTable(list: RepositoryList): string {
  const rows: string[][] = [];
  for (const repo of [...list.repositories].sort((a, b) => a.name.localeCompare(b.name))) {
    if (repo.tags.length === 0) rows.push([repo.name, '-', '-', formatBytes(repo.size_bytes)]);
    for (const tag of [...repo.tags].sort((a, b) => a.name.localeCompare(b.name))) {
      rows.push([repo.name, tag.name, shortDigest(tag.digest), formatBytes(tag.size_bytes)]);
    }
  }
  const table = rows.length === 0 ? 'no repositories yet: "carina registry login", then docker push ADDRESS/NAMESPACE/NAME:TAG\n' : formatTable(['REPOSITORY', 'TAG', 'DIGEST', 'SIZE'], rows);
  return table + usageLine(list.used_bytes, list.quota_bytes);
}

/** `carina registry quota`. */
export function registryQuotaTable(used: number, quota: number): string {
  return formatTable(['USED', 'QUOTA', 'PERCENT'], [[formatBytes(used), formatBytes(quota), percentOf(used, quota)]]);
}
