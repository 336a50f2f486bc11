import { useEffect, useRef, useState } from 'react';
import { GONE_EVENT } from '../../src/wire/event-stream';

/** While the stream is live, pages still reload on this timer (a safety net; events do the rest). */
export const STREAM_RECHECK_MS = 15_000;

/**
 * Follows the server-sent events at `url` (the browser's EventSource: it resumes a dropped stream
 * with Last-Event-ID itself) and says whether the stream is live. Not live — no EventSource, the
 * server answered JSON or an error, or a dropped stream not back yet — the caller polls as before.
 */
export function useEventStream(url: string, onEvent: (data: string) => void, onGone: () => void = () => undefined): boolean {
  const [live, setLive] = useState(false);
  const handlers = useRef({ onEvent, onGone });
  useEffect(() => {
    handlers.current = { onEvent, onGone };
  });

  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource(url, { withCredentials: true });
    source.onopen = () => setLive(true);
    source.onmessage = (e: MessageEvent<string>) => handlers.current.onEvent(e.data);
    source.addEventListener(GONE_EVENT, () => {
      source.close();
      setLive(false);
      handlers.current.onGone();
    });
    // CLOSED: the browser gave up (not a stream, an error status); CONNECTING: it is retrying. Poll meanwhile.
    source.onerror = () => setLive(false);
    return () => {
      source.close();
      setLive(false);
    };
  }, [url]);
  return live;
}

/** Calls `fn` once, `ms` after the last of a burst of calls (a catch-up of many events is one reload). */
export function debounce(fn: () => void, ms: number): () => void {
  let timer: number | undefined;
  return () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(fn, ms);
  };
}
