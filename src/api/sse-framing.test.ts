import { describe, expect, it } from 'vitest';
import { EventStreamParser, frameComment, frameEvent, frameNamed, frameStart, streamCursor, wantsEventStream } from '../wire/event-stream.js';

const MUST_BE_ID: unknown = expect.stringContaining('Last-Event-ID must be an event id');

describe('event stream framing', () => {
  it('frames an event as id and one data line of JSON, a blank line after', () => {
    expect(frameEvent(42, { id: 42, message: 'two\nlines' })).toBe('id: 42\ndata: {"id":42,"message":"two\\nlines"}\n\n');
    expect(frameNamed('gone', { cluster: 'web' })).toBe('event: gone\ndata: {"cluster":"web"}\n\n');
    expect(frameComment('heart\r\nbeat')).toBe(': heart beat\n\n');
    expect(frameStart()).toMatch(/^retry: \d+\n: stream open\n\n$/);
  });

  it('reads back what it frames, whatever the chunks, with the id to resume after', () => {
    const text = frameStart() + frameEvent(7, { a: 1 }) + frameComment('heartbeat') + frameEvent(9, { a: 2 }) + frameNamed('gone', { cluster: 'x' });
    for (const size of [1, 2, 3, 7, text.length]) {
      const parser = new EventStreamParser();
      const messages = [];
      for (let i = 0; i < text.length; i += size) messages.push(...parser.push(text.slice(i, i + size)));
      expect(messages).toEqual([
        { event: 'message', data: '{"a":1}', lastEventId: '7' },
        { event: 'message', data: '{"a":2}', lastEventId: '9' },
        { event: 'gone', data: '{"cluster":"x"}', lastEventId: '9' },
      ]);
      expect(parser.lastEventId).toBe('9');
    }
  });

  it('reads CR and CRLF line ends, multi-line data, fields without a space, and skips a message without data', () => {
    const parser = new EventStreamParser();
    expect(parser.push('id:3\r\ndata:a\r\ndata: b\r\n\r\nid: 4\revent: x\r\r')).toEqual([{ event: 'message', data: 'a\nb', lastEventId: '3' }]);
    expect(parser.lastEventId).toBe('4');
    expect(parser.push('data: c\r')).toEqual([]); // the \r may be half of \r\n
    expect(parser.push('\n\n')).toEqual([{ event: 'message', data: 'c', lastEventId: '4' }]);
  });
});

describe('where a stream starts', () => {
  it.each([
    [undefined, undefined, { ok: true, afterId: 0 }],
    [undefined, '12', { ok: true, afterId: 12 }],
    ['15', '12', { ok: true, afterId: 15 }],
    [' 15 ', undefined, { ok: true, afterId: 15 }],
    ['', '12', { ok: true, afterId: 12 }],
    ['0', undefined, { ok: true, afterId: 0 }],
  ])('Last-Event-ID %j, after %j → %j', (header, after, expected) => {
    expect(streamCursor(header, after)).toEqual(expected);
  });

  it.each([['abc'], ['-1'], ['1.5'], ['1234567890123456'], ['1e3']])('refuses Last-Event-ID %j, saying what it must be', (header) => {
    expect(streamCursor(header, undefined)).toEqual({ ok: false, reason: MUST_BE_ID });
  });

  it('refuses an after that is no id', () => {
    expect(streamCursor(undefined, 'x')).toEqual({ ok: false, reason: 'after must be an event id (digits)' });
  });
});

describe('who gets the stream', () => {
  it.each([
    ['text/event-stream', true],
    ['application/json, Text/Event-Stream;q=0.9', true],
    ['*/*', false],
    ['application/json', false],
    [undefined, false],
    ['text/event-streams', false],
  ])('Accept %j → %j', (accept, expected) => {
    expect(wantsEventStream(accept)).toBe(expected);
  });
});
