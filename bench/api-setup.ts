/**
 * Pure parts of the API scenario's setup (bench/scenarios/api.ts): where each seeded cluster goes,
 * and the PostgreSQL database a run gets. Checked by `npm run bench:check` (bench/api-setup.check.ts).
 */

/** One seeded cluster's place: its account (index into the accounts), its name in that account and its endpoint port. */
export interface SeedSlot {
  readonly account: number;
  readonly name: string;
  readonly port: number;
}

/** The host ports seeded clusters take: `count` ports ending below the kernel's ephemeral range (32768 on). */
export function seedPorts(count: number): { readonly from: number; readonly to: number } {
  return { from: Math.max(1024, 32_768 - count - 100), to: 32_767 };
}

/**
 * Cluster `i` of `count` spread over `accounts` accounts: round-robin (cluster i to account i mod N,
 * so each account's rows are spread over the whole table, as when accounts create over time), named
 * `seed-NNNN` by its position in its account, on port `from + i` of seedPorts(count) (the port a
 * lowest-free-port allocation gives when the clusters are created in order). With one account this
 * is `seed-<i>` on `from + i`, as before accounts were added.
 */
export function seedSlot(i: number, count: number, accounts: number): SeedSlot {
  if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`cluster ${i} is not one of ${count}`);
  if (!Number.isInteger(accounts) || accounts < 1 || count % accounts !== 0) throw new RangeError(`${count} clusters cannot be spread evenly over ${accounts} accounts`);
  return { account: i % accounts, name: seedName(Math.floor(i / accounts)), port: seedPorts(count).from + i };
}

/** The name of the `n`th seeded cluster of an account. */
export function seedName(n: number): string {
  return `seed-${String(n).padStart(4, '0')}`;
}

/** Account names of the scenario: the load's account is `bench`, the others `bench-001`, `bench-002`… */
export function seedAccountName(index: number): string {
  return index === 0 ? 'bench' : `bench-${String(index).padStart(3, '0')}`;
}

/** `serverUrl` (any database on the server) pointed at database `name` instead; query parameters are kept. */
export function databaseUrl(serverUrl: string, name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A URL as it may be written into results and logs: its password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}
