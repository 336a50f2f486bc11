import { ClusterService, type Scheduler } from '../../core/cluster-service.js';
import type { Pki, Store } from '../../core/ports.js';
import type { ClusterPki } from '../../core/types.js';

/** Key material that is never used: the API tests and benchmarks reach no engine. */
export const STUB_PKI_MATERIAL: ClusterPki = Object.freeze({ caCert: 'ca', caKey: 'ca-key', serverCert: 'srv', serverKey: 'srv-key', clientCert: 'cli', clientKey: 'cli-key', clientSerial: '01' });
export const STUB_PKI: Pki = { createClusterPki: () => Promise.resolve(STUB_PKI_MATERIAL), issueClientCert: () => Promise.resolve(STUB_PKI_MATERIAL) };

/**
 * A real ClusterService over `store` with everything outside the store stubbed: fake key material,
 * ids `c00000000001`… (counted in `ids`), no usage, empty bundles, the given port range and scheduler.
 */
export function stubClusterService(
  store: Store,
  options: { readonly ports: { readonly from: number; readonly to: number }; readonly scheduler?: Scheduler; readonly ids?: { n: number }; readonly warmPool?: { taken(): void } },
): ClusterService {
  const ids = options.ids ?? { n: 0 };
  return new ClusterService({
    store,
    pki: STUB_PKI,
    scheduler: options.scheduler ?? { kick: () => undefined },
    newId: () => `c${String(++ids.n).padStart(11, '0')}`,
    portRange: options.ports,
    dnsNames: () => [],
    ipAddresses: [],
    usage: () => Promise.resolve({ nodes: [] }),
    bundles: { zip: () => Promise.resolve(new Uint8Array()) },
    endpointHost: '127.0.0.1',
    warmPool: options.warmPool,
  });
}
