import type { AccountRepository } from './ports.js';

/**
 * Liveness of the control plane: resolves once the store answers a query, throws when it cannot.
 * It tells nothing else (anyone may ask; which replica leads is `carina-server leader`'s business).
 */
export async function checkHealth(store: { readonly accounts: Pick<AccountRepository, 'findById'> }): Promise<void> {
  await store.accounts.findById('healthcheck');
}
