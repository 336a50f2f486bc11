import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogConfig } from '../config/config.js';
import type { Log } from '../core/log.js';
import { REDACTED, REDACT_PATHS, scrubSecrets } from './log-redaction.js';

/**
 * The control plane's logger: one line per event with `level`, `time`, `msg` and fields, on stderr
 * (stdout is the admin commands' output). Secrets never reach the stream: known fields are censored
 * by pino's `redact`, and every serialised line is scrubbed of private keys, tokens and API keys
 * (./log-redaction.ts) whatever field or message carried them. `secrets`: literal ones known at start.
 */
export function createLogger(config: LogConfig, options: { destination?: DestinationStream & NodeJS.WritableStream; secrets?: readonly string[] } = {}): Logger {
  const secrets = options.secrets ?? [];
  const stream =
    config.format === 'pretty'
      ? pretty({ destination: options.destination ?? 2, sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,component', messageFormat: '{if component}{component}: {end}{msg}' })
      : (options.destination ?? pino.destination({ fd: 2, sync: true }));
  return pino(
    {
      level: config.level,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => scrubSecrets(line, secrets) },
    },
    stream,
  );
}

/** Names a line may start with (`gateway: sync failed…`): the component it is from. */
const COMPONENT = /^(api|gateway|reconciler|hosts|leadership|registry|autoscaler|audit|metrics|engine|lxcfs|server): /;

/**
 * A `Log` onto `logger` for the many call sites that only have a line: a known `component: ` prefix
 * becomes the `component` field (else `component` is), `WARNING: ` makes it a warning, fields pass through.
 */
export function lineLog(logger: Logger, component?: string): Log {
  return (line, fields) => {
    const { level: asked, ...rest } = fields ?? {};
    const prefix = COMPONENT.exec(line);
    const named = typeof rest.component === 'string' ? rest.component : (prefix?.[1] ?? component);
    let msg = prefix ? line.slice(prefix[0].length) : line; // the component is said once, as a field
    let level = asked ?? 'info';
    if (msg.startsWith('WARNING: ')) {
      msg = msg.slice('WARNING: '.length);
      level = asked ?? 'warn';
    }
    logger[level]({ ...rest, ...(named === undefined ? {} : { component: named }) }, msg);
  };
}
