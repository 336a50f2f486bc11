import { isIP } from 'node:net';
import type Dockerode from 'dockerode';
import type { Store } from '../core/ports.js';
import type { NodeEngineTls } from '../engine/docker-engine.js';
import { HostFleet } from '../engine/host-fleet.js';
import type { ControlPlaneReach } from '../engine/host-guard-rules.js';
import { X509Pki } from '../pki/x509-pki.js';
import { isLoopbackHost, type ServerConfig } from '../config/config.js';
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
  controlPlane?: ControlPlaneReach | undefined;
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
    controlPlane: opts.controlPlane,
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

/**
 * Where containers on the hosts could reach the control plane's machine, and which of its TCP ports
 * any client may use (the API, the clusters' endpoints, the registry nodes pull from; with a TLS
 * proxy in front of the API, CARINA_TRUST_PROXY, its HTTPS port 443 too): the hosts' guards refuse
 * the rest (host-guard-rules.ts). The addresses are the IPv4 ones the platform gives out — the
 * registry's, the advertised and the publish address — not loopback or wildcards.
 */
export function controlPlaneReach(
  config: Pick<ServerConfig, 'listenPort' | 'portRange' | 'advertiseAddress' | 'publishAddress' | 'trustProxy'>,
  registryAddress: string | undefined,
): ControlPlaneReach {
  const registryHost = registryAddress?.replace(/:\d+$/, '');
  const candidates = [registryHost, config.advertiseAddress, config.publishAddress];
  const addresses = [...new Set(candidates.filter((a): a is string => a !== undefined && isIP(a) === 4 && !isLoopbackHost(a) && a !== '0.0.0.0'))];
  const tcpPorts = [String(config.listenPort), `${config.portRange.from}:${config.portRange.to}`];
  if (registryAddress !== undefined) tcpPorts.push(registryAddress.replace(/^.*:/, ''));
  if (config.trustProxy.length > 0) tcpPorts.push('443');
  return { addresses, tcpPorts: [...new Set(tcpPorts)] };
}
