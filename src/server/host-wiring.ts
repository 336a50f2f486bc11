import { isIP } from 'node:net';
import type Dockerode from 'dockerode';
import type { Store } from '../core/ports.js';
import type { NodeEngineTls } from '../engine/docker-engine.js';
import { HostFleet } from '../engine/host-fleet.js';
import { X509Pki } from '../pki/x509-pki.js';
import { platformCa, type SealedCaFiles } from './front-door.js';

/** The CA of node engines on registered hosts: they trust only client certificates it issued (the control plane's). */
const NODE_ENGINES_CA: SealedCaFiles = Object.freeze({ name: 'carina-node-engines', certFile: 'node-engines-ca.pem', sealedFile: 'node-engines-ca.sealed.json' });

/** What the engine needs for nodes on registered hosts (issue 13): the hosts, mutual TLS with node engines, placements. */
export interface HostWiring {
  readonly fleet: HostFleet;
  readonly nodeTls: NodeEngineTls;
  readonly placementsOf: (clusterId: string) => Promise<ReadonlyMap<number, string>>;
}

/**
 * The registered hosts (from the store) and the node-engines CA (in the data dir, its key sealed with
 * the secret key, as the platform's other CAs); the control plane's client certificate is issued
 * afresh at each start (node engines check the CA, not one certificate).
 */
export async function prepareHosts(opts: {
  dataDir: string;
  secretKey: Buffer;
  store: Store;
  source: Dockerode;
  log: (line: string) => void;
  wrap: (docker: Dockerode) => Dockerode;
  nodeSubnetPool: string;
}): Promise<HostWiring> {
  const pki = new X509Pki();
  const ca = await platformCa(opts.dataDir, opts.secretKey, pki, NODE_ENGINES_CA);
  const client = await pki.issueClientCert(ca, 'carina-control-plane');
  const { store } = opts;
  const fleet = new HostFleet({
    lookup: (name) => store.hosts.get(name),
    list: () => store.hosts.list(),
    source: opts.source,
    log: opts.log,
    wrap: opts.wrap,
    nodeSubnetPool: opts.nodeSubnetPool,
  });
  return {
    fleet,
    nodeTls: {
      client: { ca: ca.caCert, cert: client.clientCert, key: client.clientKey },
      issueServer: (address) => pki.issueServerCert(ca, isIP(address) ? { dnsNames: [], ipAddresses: [address] } : { dnsNames: [address], ipAddresses: [] }),
    },
    placementsOf: async (clusterId) => new Map((await store.hosts.placementsOf(clusterId)).map((p) => [p.index, p.host])),
  };
}
