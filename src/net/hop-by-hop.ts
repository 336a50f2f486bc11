/** Headers that describe one hop of HTTP and are never forwarded as such (RFC 9110 7.6.1). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

/** The header names a Connection header's value makes hop-by-hop too, lower-cased. */
export function connectionNames(value: string | undefined): string[] {
  return (value ?? '').split(',').map((n) => n.trim().toLowerCase());
}
