import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';

/** The latest result of a polled load: data stays while a later poll fails (error says why). */
export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: ApiError | undefined;
  readonly loading: boolean;
  readonly refresh: () => void;
}

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError(0, 'CLIENT', e instanceof Error ? e.message : String(e)));

/**
 * Calls `load` now and again `intervalMs` after each answer (never two at once) while mounted;
 * a new `key` starts over. `intervalMs` 0 loads once.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, key: string): Polled<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: ApiError }>({ key });
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const run = async () => {
      try {
        const data = await loadRef.current();
        if (!stopped) setState({ key, data });
      } catch (e) {
        if (!stopped) setState((s) => ({ key, ...(s.key === key && s.data !== undefined ? { data: s.data } : {}), error: asApiError(e) }));
      }
      if (!stopped && intervalMs > 0) timer = window.setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [key, intervalMs, nonce]);

  const refresh = useCallback(() => setNonce((n) => n + 1), []);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: !current || (state.data === undefined && state.error === undefined),
    refresh,
  };
}
