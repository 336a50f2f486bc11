import type { ServerOptions } from 'node:http';

/**
 * http.Server options that cut a client whose request head has not fully arrived `ms` after its
 * first byte. Node checks this only every `connectionsCheckingInterval` (30 s by default, so a 15 s
 * limit could hold for 45 s): the check runs every tenth of the limit, at most every second.
 */
export function headTimeoutOptions(ms: number): Pick<ServerOptions, 'headersTimeout' | 'connectionsCheckingInterval'> {
  return { headersTimeout: ms, connectionsCheckingInterval: Math.min(1_000, Math.max(10, Math.floor(ms / 10))) };
}
