import { randomBytes } from 'node:crypto';
import { freemem } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ClusterService } from '../core/cluster-service.js';
import { CarinaError, describeCause, ErrorCode, fencedError } from '../core/errors.js';
import type { Clock, Store } from '../core/ports.js';
import { NO_TELEMETRY } from '../core/telemetry.js';
import type { Cluster } from '../core/types.js';
import { buildApi } from '../api/app.js';
import type { ServerConfig } from '../config/config.js';
import { DockerEngine, type NodeImages } from '../engine/docker-engine.js';
import { debianMirror } from '../host/apt-mirror.js';
import { ensureImages } from '../engine/node-image.js';
import { childProcessRunner } from '../host/host-setup.js';
import { lxcfsKeeper } from '../host/lxcfs.js';
import { CgroupDelegation } from '../engine/cgroup-delegation.js';
import { LABEL } from '../engine/labels.js';
import { MAX_NODES_ON_OVERLAY } from '../engine/subnets.js';
import { chooseNodeEngine } from '../host/node-engine.js';
import { Gateway } from '../gateway/gateway.js';
import { buildBundle } from '../pki/bundle.js';
import { X509Pki } from '../pki/x509-pki.js';
import { Reconciler } from '../reconciler/reconciler.js';
import { Autoscaler } from '../reconciler/autoscaler.js';
import { HostMonitor } from '../reconciler/host-monitor.js';
import { hostUsage } from '../core/host-capacity.js';
import { FLAVORS } from '../core/flavors.js';
import { AuditRetention } from '../reconciler/audit-retention.js';
import { Leadership } from '../reconciler/leadership.js';
import { WarmPoolKeeper } from '../reconciler/warm-pool-keeper.js';
import { fenceDocker } from './fenced-docker.js';
import { openStore } from '../store/open-store.js';
import { preparePrivateDataDir } from './data-dir.js';
import { openFrontDoor, reloadOnChange } from './front-door.js';
import { loadSecretKey } from './secret-key.js';
import { prepareRegistry } from './registry-wiring.js';
import { PrometheusTelemetry } from './metrics.js';
import { serveMetrics } from './metrics-endpoint.js';
import { controlPlaneReach, prepareHosts } from './host-wiring.js';
import { lineLog } from './logger.js';
import { ephemeralOverlapWarning, ephemeralPortRange } from './ephemeral-ports.js';

/** A running control plane: API, reconciler and store, wired explicitly. */
export interface ControlPlane {
  readonly api: FastifyInstance;
  readonly url: string;
  close(): Promise<void>;
}

/** A Dockerode client for DOCKER_HOST (unix socket or tcp) or the default socket. */
export function hostDocker(dockerHost: string | undefined): Dockerode {
  if (!dockerHost) return new Dockerode({ socketPath: '/var/run/docker.sock' });
  if (dockerHost.startsWith('unix://')) return new Dockerode({ socketPath: dockerHost.slice('unix://'.length) });
  const u = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return new Dockerode({ host: u.hostname, port: Number(u.port || 2375) });
}

/** Starts the control plane on `config` (the host engine must already answer), logging through `logger`. */
export async function startControlPlane(config: ServerConfig, version: string, logger: Logger): Promise<ControlPlane> {
  // One line per event; each part's lines carry its component (the parts that know more add fields).
  const log = lineLog(logger, 'server');
  const logOf = (component: string) => lineLog(logger, component);
  const engineLog = logOf('engine');
  await preparePrivateDataDir(config.dataDir, log);
  const clock: Clock = { now: () => new Date() };
  const secretKey = await loadSecretKey(config.secretKeyFile, log);
  // Metrics (CARINA_METRICS_LISTEN): every layer reports through the Telemetry port; nothing is kept when they are off.
  const metrics = config.metrics && new PrometheusTelemetry({ clustersByStatus: () => store.clusters.countByStatus(), nodesByState: () => store.clusters.countNodesByState(), fleetVersion: () => store.clusters.fleetVersion(), leads: () => leadership.role === 'leader', log: logOf('metrics'), hosts: async () => hostUsage(await store.hosts.list(), await store.hosts.placedNodes(), FLAVORS), warmShells: () => store.warmShells.list() });
  const telemetry = metrics ?? NO_TELEMETRY;
  const store: Store = await openStore({ url: config.databaseUrl, clock, secretKey, onOutage: (repository) => telemetry.storeError(repository), log: logOf('store') });
  const door = await openFrontDoor(config, secretKey, log);
  const host = hostDocker(config.dockerHost);
  // Nodes run on the node engine in userns mode (their root is an unprivileged host user), else on the host engine.
  const onHost =
    config.nodeEngine === 'userns'
      ? await host.listContainers({ all: true, filters: { label: [`${LABEL.instance}=${config.instance}`] } }).catch((e: unknown) => {
          log(`could not ask the host engine for nodes made before the node engine (${describeCause(e)}): assuming none`);
          return [];
        })
      : [];
  const choice = chooseNodeEngine(config.nodeEngine, config.nodeEngineDefaulted, onHost.length);
  if ('refused' in choice) {
    await store.close();
    throw new CarinaError(ErrorCode.INVALID_STATE, choice.refused);
  }
  if (choice.warning) log(`WARNING: ${choice.warning}`);
  const userns = choice.mode === 'userns';
  const docker = userns ? hostDocker(config.nodeEngineHost) : host;
  const delegation = userns ? new CgroupDelegation(docker) : undefined;
  if (delegation) {
    delegation.root().then(
      ({ uid }) => engineLog(`nodes run in a user namespace on the node engine at ${config.nodeEngineHost} (root in a node is host uid ${uid})`),
      (e: unknown) => engineLog(`node engine: ${describeCause(e)}`, { level: 'warn' }),
    );
  }
  const registry = await prepareRegistry({ config, secretKey, store, userns, hostEngine: host, log: logOf('registry') });
  const pki = new X509Pki();
  let images: Promise<NodeImages> | undefined;
  const loadImages = (): Promise<NodeImages> => {
    images ??= ensureImages(docker, {
      cacheDir: join(config.dataDir, 'images'),
      mirror: config.debianMirror ?? debianMirror(),
      run: childProcessRunner().run,
      log: engineLog,
      // The host engine may have the node image already (a minute's build): copied rather than built again.
      source: userns ? host : undefined,
    }).catch((e: unknown) => {
      images = undefined; // retry on the next use
      throw e;
    });
    return images;
  };
  const lxcfs = config.lxcfsDir
    ? lxcfsKeeper({ dir: config.lxcfsDir, logFile: join(config.dataDir, 'lxcfs.log'), run: childProcessRunner(), log: logOf('lxcfs') })
    : undefined;
  await lxcfs?.(); // started now rather than at the first node, so the log says at once whether it works
  const stillLeads = () => leadership.stillLeads(clock.now());
  const hosts = await prepareHosts({
    dataDir: config.dataDir,
    secretKey,
    store,
    source: docker,
    log: logOf('hosts'),
    wrap: (d) => fenceDocker(d, stillLeads),
    nodeSubnetPool: config.nodeSubnetPool,
    controlPlane: controlPlaneReach(config, registry?.address),
  });
  const engine = new DockerEngine({
    ...hosts,
    lxcfs,
    // Its own client, whose changing requests are refused once this replica may have lost the lease
    // (a leader resumed after a pause); the image builder and the cgroup set-up use the other one.
    docker: fenceDocker(userns ? hostDocker(config.nodeEngineHost) : hostDocker(config.dockerHost), stillLeads),
    delegation,
    log: engineLog,
    dataDir: config.dataDir,
    instance: config.instance,
    nodeSubnetPool: config.nodeSubnetPool,
    images: loadImages,
    // And the nodes' own engines' clients (swarm init, join, leave, member removal): each changing request asks too.
    wrapNodeClient: (d) => fenceDocker(d, stillLeads),
    registryCerts: registry?.nodeCertsDir,
  });
  const dnsNames = (c: Pick<Cluster, 'id' | 'name' | 'accountName'>) => [`${c.name.toLowerCase()}.${c.accountName}.${config.dnsSuffix}`, `${c.id}.${config.dnsSuffix}`];
  const ipAddresses = [...new Set([config.advertiseAddress, config.publishAddress].filter((a) => /^[\d.:a-fA-F]+$/.test(a)))];
  // What the leader writes goes through a fenced view: the store refuses it once the lease this
  // tenure began with changed hands or expired (a leader paused past its lease, then resumed).
  const leaderStore = store.fenced(() => leadership.fence);
  const checkLease = async (): Promise<void> => {
    const fence = leadership.fence; // local: is there time left on the lease since its last renewal?
    if (!fence || !(await store.leases.holds(fence))) throw fencedError(fence);
  };
  const reconciler = new Reconciler({
    store: { ...leaderStore, kicks: store.kicks, hosts: store.hosts, warmShells: store.warmShells },
    checkLease,
    onFenced: () => leadership.check(),
    engine,
    pki,
    clock,
    log: logOf('reconciler'),
    dnsNames,
    ipAddresses,
    intervalMs: config.reconcileIntervalMs,
    maxFailures: config.maxFailures,
    stallTimeoutMs: config.stallTimeoutMs,
    swarmLossGraceMs: 10_000,
    telemetry,
  });
  // The Docker API gateway: the only way into a cluster's engine (mutual TLS, policy, audit).
  const overlap = ephemeralOverlapWarning(config.portRange, await ephemeralPortRange());
  if (overlap) logOf('gateway')(overlap);
  const gateway = new Gateway({
    store,
    host: config.publishAddress,
    upstreamOf: (id) => engine.managerUpstream(id),
    locate: (id) => engine.locateManager(id),
    log: logOf('gateway'),
    limits: config.gatewayLimits,
    telemetry,
    registryPull: registry && ((c) => registry.pullAuth({ id: c.accountId, name: c.accountName })),
  });
  // Clusters built ahead of requests on the local engine (docs/warm-pool.md); with none wanted it
  // still removes what an earlier setting left.
  const warmPool = new WarmPoolKeeper({
    shells: store.warmShells,
    hosts: store.hosts,
    engine,
    wanted: config.warmPool,
    portRange: config.portRange,
    newId: () => randomBytes(6).toString('hex'),
    clock,
    log: logOf('warm-pool'),
    checkLease,
    // The nodes run on this machine unless the engine is reached over TCP: its MemAvailable then (libuv reads it).
    availableMemory: config.dockerHost?.startsWith('tcp:') ? undefined : () => freemem(),
  });
  // Only the leader reconciles and serves gateways (leadership.ts). A standby's API writes reach the
  // leader through the store: a kick row it takes within 250 ms (else its periodic pass), and its
  // gateway sync (1 s).
  const leads = () => leadership.role === 'leader';
  const clusters = new ClusterService({
    store,
    pki,
    endpoints: { refresh: (id) => (leads() ? gateway.refresh(id) : Promise.resolve()) },
    scheduler: {
      kick: (id) => {
        if (leads()) reconciler.kick(id);
        else store.kicks.request(id).catch((e: unknown) => log(`kick of cluster ${id} for the leader failed (its next pass picks it up): ${describeCause(e)}`));
      },
    },
    newId: () => randomBytes(6).toString('hex'),
    portRange: config.portRange,
    warmPool: config.warmPool.length > 0 ? { taken: () => (leads() ? warmPool.taken() : undefined) } : undefined,
    dnsNames,
    ipAddresses,
    usage: (c) => reconciler.usage(c, { withStats: true }),
    bundles: { zip: buildBundle },
    endpointHost: config.advertiseAddress,
    registryAddress: registry?.address,
  });
  // Registered hosts: one silent for CARINA_HOST_DOWN_AFTER_MS is declared down, its nodes re-created elsewhere.
  const hostMonitor = new HostMonitor({
    hosts: store.hosts,
    events: leaderStore.events,
    engines: engine.hosts,
    scheduler: reconciler,
    clock,
    log: logOf('hosts'),
    intervalMs: 2_000,
    downAfterMs: config.hostDownAfterMs,
    maxNodes: MAX_NODES_ON_OVERLAY,
  });
  const autoscaler = new Autoscaler({
    store: { ...leaderStore, accounts: store.accounts },
    scheduler: reconciler,
    usageOf: (c) => reconciler.usage(c, { withStats: false }),
    clock,
    log: logOf('autoscaler'),
    intervalMs: config.autoscaleIntervalMs,
    cooldownMs: config.autoscaleCooldownMs,
    telemetry,
  });
  const retention = new AuditRetention({ store, clock, log: logOf('audit'), days: config.auditRetentionDays });
  const leadership: Leadership = new Leadership({
    leases: store.leases,
    holder: config.replicaId,
    ttlMs: config.leaseTtlMs,
    clock,
    log: logOf('leadership'),
    async onElected() {
      await gateway.start();
      // The registry is the leader's, as the gateways are: one process on its storage.
      await registry?.lead(api).catch((e: unknown) => log(`registry: could not start (${describeCause(e)}); pushes and pulls fail until the next start`));
      // Build the images now so the first create doesn't wait for them (about a minute, once).
      loadImages().catch((e: unknown) => engineLog(`node image: ${describeCause(e)}`, { level: 'warn' }));
      reconciler.start();
      autoscaler.start();
      hostMonitor.start();
      retention.start();
      warmPool.start();
    },
    // The store is out: stop changing clusters, keep the gateways and the registry serving.
    async onSuspended() {
      await warmPool.stop();
      await autoscaler.stop();
      await hostMonitor.stop();
      await retention.stop();
      await reconciler.stop();
    },
    onResumed() {
      reconciler.start();
      autoscaler.start();
      hostMonitor.start();
      retention.start();
      warmPool.start();
      return Promise.resolve();
    },
    async onDeposed() {
      await gateway.close();
      await registry?.standDown();
      await warmPool.stop();
      await autoscaler.stop();
      await hostMonitor.stop();
      await retention.stop();
      await reconciler.stop();
    },
  });
  const api = await buildApi({
    store,
    clusters,
    registry: registry?.service,
    advertiseAddress: config.advertiseAddress,
    version,
    log: logOf('api'),
    logger: logger.child({ component: 'api' }),
    limits: config.apiLimits,
    tls: door.tls,
    trustProxy: config.trustProxy,
    telemetry: metrics,
  });
  const stopReloading = reloadOnChange(door, api, log);
  // Listening first: a second live process with this replica id fails here, before it could lead.
  const address = await api.listen({ host: config.listenHost, port: config.listenPort });
  const metricsEndpoint = metrics && config.metrics && (await serveMetrics(metrics, config.metrics, logOf('metrics')));
  await leadership.start();
  return {
    api,
    url: address,
    async close() {
      stopReloading();
      await api.close();
      await metricsEndpoint?.close();
      await leadership.stop();
      await store.close();
    },
  };
}
