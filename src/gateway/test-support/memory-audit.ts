import type { AuditEntry, AuditRepository } from '../../core/ports.js';

/** An audit repository in memory for gateway tests: what was appended, in order, in `entries`. */
export function memoryAudit(): { readonly repo: AuditRepository; readonly entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  const repo: AuditRepository = {
    append: (e) => {
      const entry = { ...e, id: entries.length + 1, at: new Date() };
      entries.push(entry);
      return Promise.resolve(entry);
    },
    list: () => Promise.resolve(entries),
    pruneBefore: () => Promise.resolve(0),
  };
  return { repo, entries };
}
