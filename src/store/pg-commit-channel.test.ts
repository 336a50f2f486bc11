import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { LogFields } from '../core/log.js';
import { EVENTS_CHANNEL } from './event-commits.js';
import { listenRetryMs, PgCommitChannel } from './pg-commit-channel.js';

const postgresUrl = process.env['CARINA_TEST_POSTGRES_URL'];

async function until(done: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !(await done()) && Date.now() < end; ) await sleep(5);
}

/** A channel on `url` whose connections carry a name of their own, with what it signalled and logged. */
function channelOn(url: string) {
  const name = `channel-test-${randomUUID().slice(0, 8)}`;
  const signals: number[] = [];
  const lines: Array<{ line: string; fields?: LogFields }> = [];
  const channel = new PgCommitChannel({
    client: () => new pg.Client({ connectionString: url, application_name: name, connectionTimeoutMillis: 2_000 }),
    self: 'this-store',
    signal: () => signals.push(Date.now()),
    log: (line, fields) => lines.push({ line, fields }),
  });
  return { name, signals, lines, channel };
}

describe('listenRetryMs: the back-off between attempts to listen again', () => {
  it.each([
    [1, 250],
    [2, 500],
    [3, 1_000],
    [5, 4_000],
    [6, 8_000],
    [7, 10_000],
    [50, 10_000],
  ])('after %i failures in a row: %i ms', (failures, ms) => {
    expect(listenRetryMs(failures)).toBe(ms);
  });
});

describe('PgCommitChannel without a database', () => {
  it('keeps trying with a back-off, says so once at warn level, and closes cleanly', async () => {
    const { channel, signals, lines } = channelOn('postgres://carina@127.0.0.1:1/postgres'); // nothing listens on port 1
    channel.start();
    await sleep(1_000); // attempts at 0, 0.25, 0.75 s
    await channel.close();
    expect(signals).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fields?.level).toBe('warn');
    expect(lines[0]?.line).toMatch(/not hearing other replicas' events \(.*ECONNREFUSED.*\).*polling/);
  });
});

describe.skipIf(postgresUrl === undefined)('PgCommitChannel on PostgreSQL', () => {
  const url = postgresUrl ?? '';
  const sessions = async (name: string): Promise<number[]> => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [name]);
      return rows.map((r) => r.pid);
    } finally {
      await admin.end();
    }
  };
  const notify = async (payload: string) => {
    const writer = new pg.Client({ connectionString: url });
    await writer.connect();
    await writer.query('select pg_notify($1, $2)', [EVENTS_CHANNEL, payload]);
    await writer.end();
  };

  it('signals other stores’ notifications, not its own, and listens again after losing its connection', async () => {
    const { name, channel, signals, lines } = channelOn(url);
    try {
      channel.start();
      await sleep(100);
      expect(signals).toEqual([]); // starting to listen is not a commit
      for (const end = Date.now() + 5_000; signals.length === 0 && Date.now() < end; ) await notify('another-store'); // until it listens
      expect(signals).toHaveLength(1);
      await notify('another-store');
      await notify('this-store');
      await notify('another-store');
      await until(() => signals.length >= 3);
      await sleep(100);
      expect(signals).toHaveLength(3);

      // The server ends the listening session (as a restart would): no crash, one warning, back within the back-off.
      const [pid] = await sessions(name);
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await admin.end();
      await until(() => signals.length === 4); // listening again: told at once, for what may have come unheard
      expect(lines.map((l) => l.fields?.level ?? 'info')).toEqual(['warn', 'info']);
      expect(lines[1]?.line).toMatch(/hearing other replicas' events again/);
      await notify('another-store');
      await until(() => signals.length === 5);
      expect(signals).toHaveLength(5);
    } finally {
      await channel.close();
    }
    await until(async () => (await sessions(name)).length === 0);
    expect(await sessions(name)).toEqual([]);
  });

  it('closed while it connects: no connection is left behind', async () => {
    const { name, channel, signals } = channelOn(url);
    channel.start();
    await channel.close();
    await sleep(300);
    expect(await sessions(name)).toEqual([]);
    expect(signals).toEqual([]);
  });
});
