import { CLUSTER_NAME, clusterNameFault } from '../wire/cluster-name.js';
import { NODES } from '../wire/limits.js';
import { usageError } from './errors.js';

/** Throws a usage error unless `name` is a valid cluster name (the contract's rule). */
export function checkClusterName(name: string): string {
  if (clusterNameFault(name) !== null) {
    throw usageError(`invalid cluster name "${name}": start with a letter, then letters, digits, "_", "." or "-" (at most ${CLUSTER_NAME.maxLength})`);
  }
  return name;
}

/** A whole number within [min, max] (by default the nodes one request may ask for), from a flag's text. */
export function parseCount(raw: string, flag: string, min: number = NODES.min, max: number = NODES.max): number {
  if (!/^\d+$/.test(raw.trim())) throw usageError(`${flag} needs a whole number (got "${raw}")`);
  const n = Number(raw);
  if (n < min || n > max) throw usageError(`${flag} must be between ${min} and ${max} (got ${n})`);
  return n;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration like `90s`, `5m`, `1h30m`, `500ms` or a plain number of seconds, in milliseconds. */
export function parseDuration(raw: string, flag = '--timeout'): number {
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw usageError(`${flag} needs a duration such as 90s, 5m or 1h (got "${raw}")`);
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] ?? 's'] ?? 1000), 0);
  if (ms <= 0) throw usageError(`${flag} must be longer than zero`);
  return Math.round(ms);
}

/** Formats milliseconds for humans: `850ms`, `12.4s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** `on`/`off` (also true/false, yes/no, enable/disable) as a boolean. */
export function parseOnOff(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['on', 'true', 'yes', 'enable', 'enabled'].includes(v)) return true;
  if (['off', 'false', 'no', 'disable', 'disabled'].includes(v)) return false;
  throw usageError(`autoscale needs "on" or "off" (got "${raw}")`);
}

/**
 * How many nodes `grow` adds: `--by N`, or the earliest CLI's `--nodes=N` (which also meant
 * "add N"). Both given must agree; neither is a usage error.
 */
export function growAmount(by: string | undefined, nodes: string | undefined): number {
  const fromBy = by === undefined ? undefined : parseCount(by, '--by');
  const fromNodes = nodes === undefined ? undefined : parseCount(nodes, '--nodes');
  if (fromBy !== undefined && fromNodes !== undefined && fromBy !== fromNodes) {
    throw usageError(`--by ${fromBy} and --nodes ${fromNodes} disagree: give one of them (both mean "add N nodes")`);
  }
  const n = fromBy ?? fromNodes;
  if (n === undefined) throw usageError('grow needs --by N, the number of nodes to add');
  return n;
}
