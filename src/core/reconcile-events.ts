import { formsFirstSwarm, type Action } from './planner.js';
import type { ClusterStatus } from './types.js';

/** One line of a cluster's event log: its type (`node`, `swarm`, `repair`…) and what a user reads. */
export interface EventLine {
  readonly type: string;
  readonly message: string;
}

/** Human words for the repair actions an active cluster needs. */
export function describeRepair(actions: readonly Action[]): string {
  return actions.map(repairWords).join('; ');
}

function repairWords(a: Action): string {
  switch (a.type) {
    case 'createNode':
      return a.standIn ? `adding stand-in node ${a.index} (it joins before a node moves off a draining host)` : `node ${a.index} is missing, re-creating it`;
    case 'startNode':
      return `node ${a.index} stopped, restarting it`;
    case 'restartNode':
      return `node ${a.index} reports no memory (its /proc files from lxcfs went stale), restarting it`;
    case 'swarmJoin':
      return `node ${a.index} is not in the swarm, re-joining it`;
    case 'swarmInit':
      return 'the manager left the swarm, re-forming it';
    case 'forceNewCluster':
      return `the swarm lost its quorum (node ${a.via} is the only manager left), recovering it from node ${a.via}`;
    case 'removeSwarmMember':
      return `removing stale swarm member ${a.memberId}`;
    case 'setRole':
      return a.role === 'manager' ? `node ${a.index} holds a manager seat as a worker, promoting it` : `demoting node ${a.index} to a worker`;
    case 'removeNode':
      return `removing surplus node ${a.index}`;
    case 'drainNode':
      return `draining surplus node ${a.index} (its tasks move to other nodes)`;
    case 'decommissionNode':
      return `surplus node ${a.index} leaves the swarm`;
    case 'createNetwork':
      return 'the cluster network is missing, re-creating it';
    case 'loadWorkloadImage':
      return `loading carina/busybox into node ${a.index}`;
    default:
      return a.type;
  }
}

/** Why an active cluster that has waited too long counts as drifted. */
export function waitingWords(reason: string): string {
  return `waiting for ${reason}`;
}

/** The event of a new cluster the reconciler picked up. */
export function buildingEvent(nodeCount: number): EventLine {
  return { type: 'building', message: `building ${nodeCount} node(s)` };
}

/** The event of an active cluster that drifted and is being repaired. */
export function repairEvent(why: string): EventLine {
  return { type: 'repair', message: `repairing: ${why}` };
}

/** The event after an engine action succeeded on a cluster in `status`; null when it says nothing worth a line. */
export function actionEvent(status: ClusterStatus, action: Action): EventLine | null {
  switch (action.type) {
    case 'createNode':
      return { type: 'node', message: `node ${action.index} (${action.standIn ? 'stand-in ' : ''}${action.role}) started` };
    case 'startNode':
      return { type: 'node', message: `node ${action.index} restarted` };
    case 'restartNode':
      return { type: 'node', message: `node ${action.index} restarted: its /proc files answer again` };
    case 'removeNode':
      return status === 'deleting' ? null : { type: 'node', message: `node ${action.index} removed` };
    case 'swarmInit':
      return {
        type: 'swarm',
        message: formsFirstSwarm(status)
          ? 'swarm initialised on node 0'
          : 'swarm re-formed on node 0: the manager had left its swarm, so services and networks of the old swarm are gone and must be deployed again',
      };
    case 'forceNewCluster':
      return { type: 'swarm', message: `swarm recovered on node ${action.via} (--force-new-cluster): the other managers were lost; services, networks and secrets are kept, the other nodes join it again` };
    case 'swarmJoin':
      return { type: 'swarm', message: action.role === 'manager' ? `node ${action.index} joined the swarm as a manager` : `node ${action.index} joined the swarm` };
    case 'setRole':
      return { type: 'swarm', message: action.role === 'manager' ? `node ${action.index} promoted to a swarm manager` : `node ${action.index} demoted to a worker` };
    case 'removeSwarmMember':
      return { type: 'swarm', message: `removed stale swarm member ${action.memberId}` };
    case 'drainNode':
      return { type: 'node', message: `node ${action.index} draining: its tasks move to other nodes` };
    case 'decommissionNode':
      return { type: 'node', message: `node ${action.index} left the swarm and was removed` };
    default:
      return null; // network, volume and image steps; markActive and finalizeDelete speak for themselves
  }
}

/** The event of a cluster that became active, `tookMs` after it left `from`. */
export function activeEvent(nodeCount: number, from: ClusterStatus, tookMs: number): EventLine {
  return { type: 'active', message: `cluster active with ${nodeCount} Ready node(s) (${from} took ${(tookMs / 1000).toFixed(1)} s)` };
}

/** The `error` reason of a cluster that waited on one thing past the stall timeout. */
export function stallReason(stallTimeoutMs: number, waitingFor: string): string {
  return `gave up after waiting ${Math.round(stallTimeoutMs / 1000)} s for ${waitingFor}; rebuild the cluster to retry, or delete it`;
}

/** The `retry` event of a failed attempt. */
export function attemptEvent(failures: number, maxFailures: number, cause: string): EventLine {
  return { type: 'retry', message: `attempt ${failures} of ${maxFailures} failed: ${cause}` };
}

/** The `error` reason of a cluster in `status` whose step failed `failures` times: what failed and what to do. */
export function failureReason(status: ClusterStatus, cause: string, failures: number): string {
  const todo = status === 'deleting' ? 'delete it again to retry' : 'rebuild the cluster to retry, or delete it';
  return `${cause} (failed ${failures} times); ${todo}`;
}
