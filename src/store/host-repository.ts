import type { Kysely, Selectable } from 'kysely';
import { CarinaError, ErrorCode } from '../core/errors.js';
import { HOST_STATES, type HostState } from '../core/placement.js';
import type { Host, HostRepository, NodePlacement } from '../core/ports.js';
import { nowIso, type Database, type DialectKind, type HostsTable, type StoreContext } from './database.js';
import { uniqueViolation } from './sql-errors.js';

// Registered by `carina-server hosts add`; placements written when a create, grow or resize is accepted
// (ClusterService) and when the host monitor moves a lost host's nodes. No placement: the local engine.

function toHostState(value: string): HostState {
  const state = HOST_STATES.find((s) => s === value);
  if (state === undefined) throw new CarinaError(ErrorCode.INTERNAL, `stored host state is invalid: ${JSON.stringify(value)}`);
  return state;
}

function toHost(row: Selectable<HostsTable>): Host {
  return {
    name: row.name,
    dockerHost: row.docker_host,
    tlsDir: row.tls_dir,
    state: toHostState(row.state),
    allocatableNanoCpus: Number(row.allocatable_nano_cpus),
    allocatableMemoryBytes: Number(row.allocatable_memory_bytes),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lastSeenAt: row.last_seen_at === null ? null : new Date(row.last_seen_at),
  };
}

/**
 * Locks the named host rows for the rest of the transaction (as row-locks.ts does for clusters), so
 * that placing on a host and draining or removing it run one after the other.
 */
async function lockHosts(trx: Kysely<Database>, dialect: DialectKind, names: readonly string[]): Promise<Selectable<HostsTable>[]> {
  if (dialect === 'postgres') {
    return trx.selectFrom('hosts').selectAll().where('name', 'in', names).orderBy('name').forUpdate().execute();
  }
  await trx.updateTable('hosts').set((eb) => ({ state: eb.ref('state') })).where('name', 'in', names).execute();
  return trx.selectFrom('hosts').selectAll().where('name', 'in', names).execute();
}

/** Hosts in `hosts`, placements in `placements` (no row: the node runs on the local engine). */
export function createHostRepository(ctx: StoreContext): HostRepository {
  const { db } = ctx;
  const get = async (name: string) => {
    const row = await db.selectFrom('hosts').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toHost(row);
  };
  return {
    async add(host) {
      const at = nowIso(ctx);
      try {
        await db
          .insertInto('hosts')
          .values({
            name: host.name,
            docker_host: host.dockerHost,
            tls_dir: host.tlsDir,
            state: host.state ?? 'ready',
            allocatable_nano_cpus: host.allocatableNanoCpus,
            allocatable_memory_bytes: host.allocatableMemoryBytes,
            created_at: at,
            updated_at: at,
            last_seen_at: null,
          })
          .execute();
      } catch (err) {
        if (uniqueViolation(err) !== undefined) return { ok: false, reason: 'exists' };
        throw err;
      }
      const added = await get(host.name);
      if (added === undefined) throw new CarinaError(ErrorCode.INTERNAL, `host ${host.name} vanished as it was added`);
      return { ok: true, host: added };
    },

    get,

    async list() {
      const rows = await db.selectFrom('hosts').selectAll().orderBy('name').execute();
      return rows.map(toHost);
    },

    async setState(name, state) {
      await db.updateTable('hosts').set({ state, updated_at: nowIso(ctx) }).where('name', '=', name).execute();
      return get(name);
    },

    async markSeen(name) {
      await db.updateTable('hosts').set({ last_seen_at: nowIso(ctx) }).where('name', '=', name).execute();
    },

    async remove(name) {
      return db.transaction().execute(async (trx) => {
        const [host] = await lockHosts(trx, ctx.dialect, [name]);
        if (host === undefined) return { ok: false, reason: 'not-found' } as const;
        const held = await trx.selectFrom('placements').select((eb) => eb.fn.countAll().as('n')).where('host', '=', name).executeTakeFirst();
        const nodes = Number(held?.n ?? 0);
        if (nodes > 0) return { ok: false, reason: 'holds-nodes', nodes } as const;
        await trx.deleteFrom('hosts').where('name', '=', name).execute();
        return { ok: true } as const;
      });
    },

    async place(clusterId, placements) {
      if (placements.length === 0) return { ok: true };
      if (new Set(placements.map((p) => p.index)).size !== placements.length) return { ok: false, reason: 'a node is placed twice' };
      const names = [...new Set(placements.map((p) => p.host))].sort();
      return db.transaction().execute(async (trx) => {
        const cluster = await trx.selectFrom('clusters').select('id').where('id', '=', clusterId).executeTakeFirst();
        if (cluster === undefined) return { ok: false, reason: `no cluster with id ${clusterId}` };
        const hosts = new Map((await lockHosts(trx, ctx.dialect, names)).map((h) => [h.name, h.state]));
        for (const name of names) {
          const state = hosts.get(name);
          if (state === undefined) return { ok: false, reason: `no host named ${name}` };
          if (state !== 'ready') return { ok: false, reason: `host ${name} is ${state}` };
        }
        await trx
          .deleteFrom('placements')
          .where('cluster_id', '=', clusterId)
          .where('idx', 'in', placements.map((p) => p.index))
          .execute();
        await trx
          .insertInto('placements')
          .values(placements.map((p) => ({ cluster_id: clusterId, idx: p.index, host: p.host, stand_in: p.standIn === true ? 1 : 0 })))
          .execute();
        return { ok: true };
      });
    },

    async unplace(clusterId, indexes) {
      if (indexes.length === 0) return;
      await db.deleteFrom('placements').where('cluster_id', '=', clusterId).where('idx', 'in', indexes).execute();
    },

    async releaseStandIn(clusterId, index) {
      await db.updateTable('placements').set({ stand_in: 0 }).where('cluster_id', '=', clusterId).where('idx', '=', index).execute();
    },

    async placementsOf(clusterId) {
      const rows = await db.selectFrom('placements').selectAll().where('cluster_id', '=', clusterId).orderBy('idx').execute();
      return rows.map((r) => placement(r.cluster_id, r.idx, r.host, r.stand_in));
    },

    async placedNodes() {
      const rows = await db
        .selectFrom('placements')
        .innerJoin('clusters', 'clusters.id', 'placements.cluster_id')
        .select(['placements.cluster_id', 'placements.idx', 'placements.host', 'placements.stand_in', 'clusters.flavor', 'clusters.node_count'])
        .orderBy('placements.host')
        .orderBy('placements.cluster_id')
        .orderBy('placements.idx')
        .execute();
      return rows.map((r) => ({ ...placement(r.cluster_id, r.idx, r.host, r.stand_in), flavor: r.flavor, nodeCount: Number(r.node_count) }));
    },
  };
}

/** A placement row as the core sees it; `standIn` only on a stand-in, so other rows read as before. */
function placement(clusterId: string, idx: number | string, host: string, standIn: number | string): NodePlacement {
  return Number(standIn) === 1 ? { clusterId, index: Number(idx), host, standIn: true } : { clusterId, index: Number(idx), host };
}
