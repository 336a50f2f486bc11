import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import type { FastifyInstance } from 'fastify';
import { CarinaError, describeCause, ErrorCode } from '../core/errors.js';
import type { Store } from '../core/ports.js';
import { RegistryService } from '../core/registry-service.js';
import type { ServerConfig } from '../config/config.js';
import { NODE_UPLINK } from '../host/node-uplink.js';
import { REGISTRY_BINARY, RegistryProcess, registryInstalled } from '../host/registry-process.js';
import { X509Pki } from '../pki/x509-pki.js';
import { RegistryFront } from '../registry/front.js';
import { RegistryStorage } from '../registry/storage.js';
import { RegistryTokenSigner } from '../registry/tokens.js';
import { PLATFORM_CA, platformCa } from './front-door.js';
import { isLoopbackHost } from '../config/config.js';

/** The token-signing certificate the registry trusts (`rootcertbundle`), beside its sealed key. */
const TOKEN_CA = Object.freeze({ name: 'carina-registry-token', certFile: 'registry-token.pem', sealedFile: 'registry-token.sealed.json' });
const SERVICE = 'carina-registry';
/** The lease `carina-server registry gc` takes to ask the leader for a garbage collection; the leader releases it when done. */
export const GC_REQUEST_LEASE = 'registry-gc-request';
const ISSUER = 'carina';

/** The registry of a running control plane: its service (API, gateway, nodes) and the leader's duties. */
export interface RegistryRuntime {
  readonly service: RegistryService;
  /** Where nodes trust it from: `/etc/docker/certs.d/<address>/ca.crt` with `caPem`. */
  readonly address: string;
  readonly caPem: string;
  /** A directory laid out as /etc/docker/certs.d that trusts the registry, bound into every node. */
  readonly nodeCertsDir: string;
  /** The account's pull credential as `X-Registry-Auth`, for the gateway to give node engines. */
  pullAuth(account: { id: string; name: string }): Promise<{ address: string; header: string }>;
  /** The leader runs docker-registry and the front; `api` answers the token route. */
  lead(api: FastifyInstance): Promise<void>;
  standDown(): Promise<void>;
  /** Garbage collection in a read-only window (leader only). */
  collectGarbage(): Promise<{ freedBytes: number; output: string }>;
}

/**
 * The address users and nodes reach the registry at: CARINA_REGISTRY_ADDRESS, else the advertise
 * address when other machines can reach it, else one address of this host that nodes reach too
 * (127.0.0.1 inside a node is the node): the node engine's uplink, or the host engine's bridge.
 */
async function registryAddress(config: ServerConfig, userns: boolean, hostEngine: Dockerode): Promise<string> {
  if (config.registry.address) return config.registry.address;
  if (!isLoopbackHost(config.advertiseAddress)) return `${config.advertiseAddress}:${config.registry.port}`;
  if (userns) return `${NODE_UPLINK.hostAddress}:${config.registry.port}`;
  const bridge = (await hostEngine.getNetwork('bridge').inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
  const gateway = bridge.IPAM?.Config?.find((c) => c.Gateway && isIP(c.Gateway) === 4)?.Gateway;
  if (!gateway) throw new Error('no address for the registry: the host engine\'s bridge network has no IPv4 gateway; set CARINA_REGISTRY_ADDRESS');
  return `${gateway}:${config.registry.port}`;
}

/** Sets up the registry when the configuration asks for it and docker-registry is installed; else undefined (logged). */
export async function prepareRegistry(opts: {
  config: ServerConfig;
  secretKey: Buffer;
  store: Store;
  userns: boolean;
  hostEngine: Dockerode;
  log: (line: string) => void;
}): Promise<RegistryRuntime | undefined> {
  const { config, log } = opts;
  if (config.registry.mode === 'off') return undefined;
  const settingsBase = { storageDir: config.registry.storageDir, backendPort: config.registry.backendPort, service: SERVICE, issuer: ISSUER, tokenCertFile: join(config.dataDir, TOKEN_CA.certFile) };
  if (!registryInstalled()) {
    const message = `no registry: ${REGISTRY_BINARY} is not installed (apt-get install -y docker-registry)`;
    if (config.registry.mode === 'on') throw new CarinaError(ErrorCode.REGISTRY_UNAVAILABLE, `${message}; CARINA_REGISTRY=on needs it`);
    log(`${message}; users' GET /v1/registry answers ${ErrorCode.REGISTRY_UNAVAILABLE}`);
    return undefined;
  }
  const address = await registryAddress(config, opts.userns, opts.hostEngine);
  const [host = ''] = address.split(/:(?=\d+$)/);
  const pki = new X509Pki();
  const ca = await platformCa(config.dataDir, opts.secretKey, pki, PLATFORM_CA);
  const tokenCa = await platformCa(config.dataDir, opts.secretKey, pki, TOKEN_CA);
  const signer = await RegistryTokenSigner.create({ certPem: tokenCa.caCert, keyPem: tokenCa.caKey, issuer: ISSUER, service: SERVICE });
  const storage = new RegistryStorage(config.registry.storageDir);
  const service = new RegistryService({ store: opts.store, tokens: signer, contents: storage, address, caPem: ca.caCert, defaultQuotaBytes: config.defaultRegistryQuotaBytes });
  // Nodes trust the registry as every docker daemon does: /etc/docker/certs.d/HOST:PORT/ca.crt (public, so 0644 for a node's remapped root).
  const nodeCertsDir = join(config.dataDir, 'node-certs.d');
  // The directory itself stays (nodes hold it bound); an address that changed leaves no stale trust in it.
  await mkdir(join(nodeCertsDir, address), { recursive: true, mode: 0o755 });
  await chmod(nodeCertsDir, 0o755);
  for (const old of await readdir(nodeCertsDir)) if (old !== address) await rm(join(nodeCertsDir, old), { recursive: true, force: true });
  await writeFile(join(nodeCertsDir, address, 'ca.crt'), ca.caCert, { mode: 0o644 });
  const registryProcess = new RegistryProcess({ dataDir: config.dataDir, settings: { ...settingsBase, realm: `https://${address}/token` }, log });
  let front: RegistryFront | undefined;
  let keeper: NodeJS.Timeout | undefined;
  let gcTimer: NodeJS.Timeout | undefined;
  let gcRunning: Promise<{ freedBytes: number; output: string }> | undefined;
  let gcPoller: NodeJS.Timeout | undefined;

  const collectGarbage = (): Promise<{ freedBytes: number; output: string }> => {
    const current = front;
    if (!current) return Promise.reject(new Error('the registry runs on the leader only'));
    gcRunning ??= current
      .readOnly(async () => {
        const before = await storage.totalBlobBytes();
        const { output } = await registryProcess.garbageCollect();
        const freedBytes = before - (await storage.totalBlobBytes());
        log(`registry garbage collection freed ${freedBytes} bytes`);
        return { freedBytes, output };
      })
      .finally(() => {
        gcRunning = undefined;
      });
    return gcRunning;
  };

  // One pull credential per account for this process's lifetime (it does not expire, and names its
  // account): the gateway asks for one per cluster listener, and signing 10,000 at start-up cost
  // seconds of CPU for 100 accounts' worth of credentials.
  const pullHeaders = new Map<string, Promise<string>>();
  const pullHeader = (account: { id: string; name: string }): Promise<string> => {
    const kept = pullHeaders.get(account.id);
    if (kept) return kept;
    const made = service.nodePullAuth(account);
    pullHeaders.set(account.id, made);
    made.catch(() => pullHeaders.delete(account.id)); // not kept when it failed: asked again next time
    return made;
  };

  return {
    service,
    address,
    caPem: ca.caCert,
    nodeCertsDir,
    pullAuth: async (account) => ({ address, header: await pullHeader(account) }),
    collectGarbage,
    async lead(api) {
      await registryProcess.ensure();
      const tls = await pki.issueServerCert(ca, isIP(host) ? { dnsNames: ['localhost'], ipAddresses: [host] } : { dnsNames: [host], ipAddresses: [] });
      front = new RegistryFront({
        listenHost: config.registry.listenHost ?? (isIP(host) ? host : '0.0.0.0'),
        port: config.registry.port,
        tls,
        backendUrl: registryProcess.backendUrl,
        headersTimeoutMs: config.apiLimits.headersTimeoutMs,
        log,
        quota: (namespace) => service.quotaOfNamespace(namespace),
        blobs: { mayPull: (authorization, repository) => signer.allowsPull(authorization, repository), file: (repository, digest) => storage.blobFile(repository, digest) },
        pushToken: (repository) => signer.issue(ISSUER, [{ type: 'repository', name: repository, actions: ['pull', 'push'] }], 60),
        async token(authorization, query, client) {
          const answer = await api.inject({ method: 'GET', url: `/registry/token?${query}`, headers: authorization ? { authorization } : {}, remoteAddress: client });
          const headers: Record<string, string> = {};
          for (const name of ['content-type', 'www-authenticate', 'retry-after', 'cache-control']) {
            const v = answer.headers[name];
            if (typeof v === 'string') headers[name] = v;
          }
          return { status: answer.statusCode, headers, body: answer.body };
        },
      });
      const listenOn = `${config.registry.listenHost ?? (isIP(host) ? host : '0.0.0.0')}:${config.registry.port}`;
      const serving = () => log(`registry serving at https://${address} (docker login ${address} -u <account> -p <API key>)`);
      let listenFailure = '';
      /** Starts the front; a failure (its address not on this machine yet, its port taken) is said once and tried again by the keeper. */
      const listen = async (started: RegistryFront) => {
        try {
          await started.start();
          if (listenFailure) log(`registry: listening on ${listenOn} now`);
          listenFailure = '';
          serving();
        } catch (e) {
          const cause = describeCause(e);
          if (cause !== listenFailure) log(`registry: cannot listen on ${listenOn} (${cause}); pushes and pulls fail until it can, trying again every 5 s (CARINA_REGISTRY_LISTEN, CARINA_REGISTRY_ADDRESS)`);
          listenFailure = cause;
        }
      };
      await listen(front);
      // A registry that died (killed, crashed) is started again; what it stored is on disk.
      keeper = setInterval(() => {
        void registryProcess.answers().then((up) => (up ? undefined : registryProcess.ensure().catch((e: unknown) => log(`registry: ${describeCause(e)}`))));
        if (front && !front.listening) void listen(front);
      }, 5_000);
      keeper.unref();
      // `carina-server registry gc` (another process) asks through the store.
      gcPoller = setInterval(() => {
        void (async () => {
          const request = await opts.store.leases.get(GC_REQUEST_LEASE);
          if (!request || request.expiresAt.getTime() < Date.now() || gcRunning) return;
          await collectGarbage().catch((e: unknown) => log(`registry garbage collection: ${describeCause(e)}`));
          await opts.store.leases.release(GC_REQUEST_LEASE, request.holder);
        })().catch((e: unknown) => log(`registry garbage collection request: ${describeCause(e)}`));
      }, 1_000);
      gcPoller.unref();
      if (config.registry.gcIntervalMs > 0) {
        gcTimer = setInterval(() => void collectGarbage().catch((e: unknown) => log(`registry garbage collection: ${describeCause(e)}`)), config.registry.gcIntervalMs);
        gcTimer.unref();
      }
    },
    async standDown() {
      clearInterval(keeper);
      clearInterval(gcPoller);
      clearInterval(gcTimer);
      await gcRunning?.catch(() => undefined);
      await front?.close();
      front = undefined;
      await registryProcess.stop();
    },
  };
}
