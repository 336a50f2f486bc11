import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, lineLog } from './logger.js';
import { scrubSecrets } from './log-redaction.js';

/** A stream that keeps what is written to it. */
function memory(): { stream: Writable; raw: string[] } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  return { stream, raw };
}

/** A logger at `level` writing into an array, one parsed JSON object per line. */
function captured(level: 'debug' | 'info' = 'info', secrets: string[] = []) {
  const { stream, raw } = memory();
  const logger = createLogger({ format: 'json', level }, { destination: stream, secrets });
  return { logger, raw, lines: () => raw.map((s) => JSON.parse(s) as Record<string, unknown>) };
}

const API_KEY = 'carina_0123456789abcdef0123_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6';
const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const RSA_PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImFjY2VzcyI6W119.c2lnbmF0dXJlLWJ5dGVz';

describe('structured logs', () => {
  it('writes one JSON line per event with level, time, msg and the fields given', () => {
    const { logger, raw, lines } = captured();
    lineLog(logger)('reconciler: cluster alice/web in error: boom', { clusterId: 'c1', account: 'alice' });
    lineLog(logger, 'api')('connection cap reached');
    lineLog(logger, 'hosts')('WARNING: host h2 is down');
    expect(raw.every((s) => s.endsWith('\n') && !s.slice(0, -1).includes('\n'))).toBe(true);
    const [a, b, c] = lines();
    expect(a).toMatchObject({ level: 'info', msg: 'cluster alice/web in error: boom', component: 'reconciler', clusterId: 'c1', account: 'alice' });
    expect(new Date(a?.time as string).toISOString()).toBe(a?.time);
    expect(b).toMatchObject({ level: 'info', msg: 'connection cap reached', component: 'api' });
    expect(c).toMatchObject({ level: 'warn', msg: 'host h2 is down', component: 'hosts' });
  });

  it('keeps a prefix that is not `component: ` whole, and logs below the level not at all', () => {
    const { logger, lines } = captured('info');
    const log = lineLog(logger);
    lineLog(logger, 'registry')('registry garbage collection: 3 blobs removed');
    log('a line of no known component');
    log('details', { level: 'debug' });
    const [gc, plain, ...more] = lines();
    expect(gc).toMatchObject({ msg: 'registry garbage collection: 3 blobs removed', component: 'registry' });
    expect(plain).toMatchObject({ msg: 'a line of no known component' });
    expect(plain).not.toHaveProperty('component');
    expect(more).toEqual([]);
  });

  it('redacts API keys, bearer tokens, credential headers, private keys and registry tokens, wherever they are', () => {
    const { logger, raw, lines } = captured('info', ['metrics-token-0123456789']);
    const log = lineLog(logger, 'api');
    log(`refused key ${API_KEY}`);
    log('request', { headers: { authorization: `Bearer ${API_KEY}`, 'x-auth-token': 'tok3n-value-99', cookie: 'carina_session=s3cr3t-session' } });
    log('request', { req: { headers: { Authorization: 'Basic YWxpY2U6Y2FyaW5hX3NlY3JldA==' } } });
    log(`bundle written: ${PEM}`);
    log(`cut short: ${PEM.slice(0, 120)}`);
    log('sealed', { key: RSA_PEM, nested: { deeper: [`x ${RSA_PEM} y`] } });
    logger.error({ err: new Error(`could not parse ${PEM}`) }, 'failed');
    log(`registry token ${JWT} issued`, { token: JWT });
    log('scrape with Authorization: Bearer metrics-token-0123456789');
    log('the metrics token is metrics-token-0123456789');
    const all = raw.join('');
    for (const secret of [API_KEY, API_KEY.slice(28), 'tok3n-value-99', 's3cr3t-session', 'YWxpY2U6Y2FyaW5hX3NlY3JldA', 'PRIVATE KEY', PEM.split('\n')[1], RSA_PEM.split('\n')[2], JWT, 'metrics-token-0123456789']) {
      expect(all, String(secret)).not.toContain(secret);
    }
    const parsed = lines(); // still JSON, every line
    expect(parsed[0]?.msg).toBe('refused key carina_0123456789abcdef0123_[REDACTED]');
    expect(parsed[1]?.headers).toEqual({ authorization: '[REDACTED]', 'x-auth-token': '[REDACTED]', cookie: '[REDACTED]' });
    expect(parsed[3]?.msg).toBe('bundle written: [REDACTED]\n');
    expect(parsed[4]?.msg).toBe('cut short: [REDACTED]');
    expect(parsed[6]).toMatchObject({ level: 'error', msg: 'failed', err: { message: 'could not parse [REDACTED]\n' } });
    expect(parsed[7]?.msg).toBe('registry token [REDACTED] issued');
  });

  it('writes one readable line per event in the pretty format, scrubbed as well', async () => {
    const { stream, raw } = memory();
    const logger = createLogger({ format: 'pretty', level: 'info' }, { destination: stream });
    lineLog(logger)('reconciler: cluster alice/web in error: boom', { clusterId: 'c1', account: 'alice', level: 'warn' });
    lineLog(logger, 'api')(`refused ${API_KEY}`);
    await new Promise((resolve) => setImmediate(resolve));
    const text = raw.join('');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN.*: reconciler: cluster alice\/web in error: boom .*"clusterId":"c1","account":"alice"/m);
    expect(text).toMatch(/INFO.*: api: refused carina_0123456789abcdef0123_\[REDACTED\]/);
    expect(text.trimEnd().split('\n')).toHaveLength(2);
  });

  it('leaves prose about authentication as it was written', () => {
    const line = 'HTTP Basic authentication and Bearer tokens are accepted; see README.md';
    expect(scrubSecrets(line)).toBe(line);
    expect(scrubSecrets('Authorization: Bearer abc.def-123')).toBe('Authorization: Bearer [REDACTED]');
  });
});
