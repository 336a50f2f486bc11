// Server-sent events (the WHATWG "text/event-stream" format) of the event log: how the server frames
// them and how a client that is not a browser reads them. A browser's EventSource reads them itself.

/** The media type a client asks for (`Accept`) to get the live stream instead of the JSON list. */
export const EVENT_STREAM_TYPE = 'text/event-stream';

/** The event name of the last message of a cluster's stream: the cluster was deleted (its log with it). */
export const GONE_EVENT = 'gone';

/** How long (ms) a client waits before reconnecting after a dropped stream (the `retry:` field). */
export const RECONNECT_MS = 1000;

/** True when an `Accept` header asks for the stream (a plain `*\/*` or JSON keeps the JSON answer). */
export function wantsEventStream(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => part.split(';')[0]?.trim().toLowerCase() === EVENT_STREAM_TYPE);
}

/** A message with an id: `data` is one JSON document, so it never spans lines. */
export function frameEvent(id: number, data: unknown): string {
  return `id: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A named message without an id (a reconnect resumes after the last id, never after this). */
export function frameNamed(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: clients ignore it, proxies see traffic (the heartbeat). */
export function frameComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** The first bytes of a stream: how long to wait before reconnecting, and a comment so proxies flush. */
export function frameStart(): string {
  return `retry: ${RECONNECT_MS}\n: stream open\n\n`;
}

/** Where a stream starts: after the id a reconnecting client saw last, else after `?after=`, else at the log's start. */
export type StreamCursor = { readonly ok: true; readonly afterId: number } | { readonly ok: false; readonly reason: string };

const ID = /^[0-9]{1,15}$/;

/** Reads `Last-Event-ID` (which wins: it is what the client saw) and the `after` query. */
export function streamCursor(lastEventId: string | undefined, after: string | undefined): StreamCursor {
  const header = lastEventId?.trim();
  if (header !== undefined && header !== '') {
    return ID.test(header) ? { ok: true, afterId: Number(header) } : { ok: false, reason: `Last-Event-ID must be an event id (digits), not "${header.slice(0, 40)}"` };
  }
  if (after !== undefined) return ID.test(after) ? { ok: true, afterId: Number(after) } : { ok: false, reason: 'after must be an event id (digits)' };
  return { ok: true, afterId: 0 };
}

/** One message as a client reads it. */
export interface StreamMessage {
  readonly event: string;
  readonly data: string;
  /** The stream's last event id after this message (what to send as Last-Event-ID on reconnect). */
  readonly lastEventId: string;
}

/** An incremental parser of a text/event-stream body (chunks may split lines anywhere). */
export class EventStreamParser {
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #lastEventId = '';

  /** The id to resume after, as a reconnect sends it. */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** Feeds decoded text; returns the messages it completed. */
  push(text: string): StreamMessage[] {
    this.#buffer += text;
    const out: StreamMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (!match || (match[0] === '\r' && match.index === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const message = this.#line(line);
      if (message) out.push(message);
    }
    return out;
  }

  #line(line: string): StreamMessage | undefined {
    if (line === '') {
      const message = this.#data.length > 0 ? { event: this.#event || 'message', data: this.#data.join('\n'), lastEventId: this.#lastEventId } : undefined;
      this.#data = [];
      this.#event = '';
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#lastEventId = value;
    return undefined;
  }
}
