import type { Action } from '../core/planner.js';
import type { ClusterEngine, EngineCluster } from '../core/ports.js';
import { actionEvent, activeEvent } from '../core/reconcile-events.js';
import { finishedOperation, type EngineActionType } from '../core/telemetry.js';
import type { Cluster } from '../core/types.js';
import { about } from '../core/log.js';
import type { ReconcilerIo } from './reconciler-io.js';

/** Performs one planned action through the engine port (or the store), then records its event. */
export async function applyAction(io: Pick<ReconcilerIo, 'engine' | 'store' | 'clock' | 'log' | 'checkLease' | 'telemetry'>, cluster: Cluster, target: EngineCluster, action: Action): Promise<void> {
  const { store } = io;
  if (action.type === 'markActive') {
    const t = await store.clusters.transition(cluster.id, 'ready');
    // Nodes removed by a resize down (or a released stand-in) release their hosts' room once the cluster is what was asked for.
    const standIns = new Set(target.standIns ?? []);
    const surplus = [...(target.hosts?.keys() ?? [])].filter((index) => index >= cluster.nodeCount && !standIns.has(index));
    if (t.ok && surplus.length > 0) await store.hosts.unplace(cluster.id, surplus);
    if (t.ok && t.from !== 'active') {
      const now = io.clock.now();
      const e = activeEvent(cluster.nodeCount, t.from, now.getTime() - cluster.updatedAt.getTime());
      await store.events.append(cluster.id, e.type, e.message);
      finished(io, cluster, t.from, now);
    }
    return;
  }
  if (action.type === 'finalizeDelete') {
    await store.clusters.delete(cluster.id);
    io.log(`reconciler: cluster ${cluster.accountName}/${cluster.name} deleted`, about(cluster));
    finished(io, cluster, cluster.status, io.clock.now());
    return;
  }
  // Docker takes no fencing token: the lease is checked just before the call instead (store writes are fenced by the store).
  await io.checkLease();
  const timed = io.telemetry.engineCall(action.type);
  try {
    await callEngine(io.engine, target, action);
  } catch (e) {
    timed('error');
    throw e;
  }
  timed('ok');
  const e = actionEvent(cluster.status, action);
  if (e) await store.events.append(cluster.id, e.type, e.message);
}

/** Reports how long the operation `cluster` finished on leaving `from` took (a create, a grow…). */
function finished(io: Pick<ReconcilerIo, 'telemetry'>, cluster: Cluster, from: Cluster['status'], now: Date): void {
  const done = finishedOperation(cluster, from, now);
  if (done) io.telemetry.clusterOperation(done.operation, done.seconds);
}

type EngineAction = Extract<Action, { type: EngineActionType }>;
type EngineCall<A extends EngineAction> = (engine: ClusterEngine, target: EngineCluster, action: A) => Promise<void>;

/** The engine call of each action (every one is idempotent on deterministic names). */
const ENGINE_CALLS: { readonly [T in EngineAction['type']]: EngineCall<Extract<EngineAction, { type: T }>> } = Object.freeze({
  createNetwork: (engine, target) => engine.createNetwork(target),
  createNode: (engine, target, a) => engine.createNode(target, a.index, a.role),
  startNode: (engine, target, a) => engine.startNode(target, a.index),
  restartNode: (engine, target, a) => engine.restartNode(target, a.index),
  removeNode: (engine, target, a) => engine.removeNode(target, a.index),
  removeVolume: (engine, target, a) => engine.removeVolume(target, a.index),
  removeNetwork: (engine, target) => engine.removeNetwork(target),
  loadWorkloadImage: (engine, target, a) => engine.loadWorkloadImage(target, a.index),
  nameNode: (engine, target, a) => engine.nameNode(target, a.index),
  swarmInit: (engine, target) => engine.swarmInit(target),
  forceNewCluster: (engine, target, a) => engine.forceNewCluster(target, a.via),
  swarmJoin: (engine, target, a) => engine.swarmJoin(target, a.index, a.role, a.via),
  setRole: (engine, target, a) => engine.setRole(target, a.index, a.memberId, a.role, a.via),
  removeSwarmMember: (engine, target, a) => engine.removeSwarmMember(target, a.memberId, a.via),
  drainNode: (engine, target, a) => engine.drainNode(target, a.memberId, a.via),
  decommissionNode: (engine, target, a) => engine.decommissionNode(target, a.index, a.memberId, a.via),
});

function callEngine(engine: ClusterEngine, target: EngineCluster, action: EngineAction): Promise<void> {
  // The table is keyed by the action's own type, so the call fits it (TypeScript cannot correlate the union).
  const call = ENGINE_CALLS[action.type] as EngineCall<EngineAction>;
  return call(engine, target, action);
}
