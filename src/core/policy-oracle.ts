/**
 * The post-create oracle: judges what the engine *stored* (its own inspect document, Docker Engine
 * API 1.41) rather than the request that made it, with the request policy's rules and codes. A
 * request the gateway's parser misread therefore cannot leave a forbidden object behind.
 */
import { elements, fieldValues, foldKey, isObject, lowerString, pathValues } from './json-fields.js';
import { PolicyCode, violation, type Violation } from './policy-codes.js';
import { networkReferences } from './policy-networks.js';
import { execCreateRule, firstOf, hostConfigRule, mountRule, volumeCreateRule, type Rule } from './policy-rules.js';
import { serviceSpecRule } from './policy-service-rules.js';

/** The kinds of object a create or update can leave behind. */
export type StoredKind = 'container' | 'service' | 'volume' | 'network' | 'exec';

/** An object a stored one uses (a container's volume, a service's network), to be judged as well. */
export interface StoredReference {
  readonly kind: StoredKind;
  readonly id: string;
}

// What engine 20.10 stores when a container keeps its system paths masked; newer engines add to these lists.
const DEFAULT_MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
// The engine adds `label=disable` to SecurityOpt for privileged and pid/ipc-host containers: judge these first, so the code names the cause.
const FIRST_FIELDS = ['privileged', 'pidmode', 'ipcmode', 'networkmode', 'usernsmode', 'utsmode'];
const SYSTEM_PATHS = ['maskedpaths', 'readonlypaths'];
const DEFAULT_APPARMOR = new Set(['', 'docker-default']);

/** `obj` with only (`keep`) or without (`!keep`) the fields whose folded names are in `names`. */
function fields(obj: unknown, names: readonly string[], keep: boolean): Record<string, unknown> {
  return isObject(obj) ? Object.fromEntries(Object.entries(obj).filter(([key]) => names.includes(foldKey(key)) === keep)) : {};
}

/** The first violation of `rule` among `values`. */
const firstIn = (values: unknown[], rule: Rule) => firstOf(...values.map((v) => () => rule(v)));

/** Masked and read-only paths must still hold the engine's defaults (emptied by systempaths=unconfined; extra paths are fine). */
const systemPathsRule: Rule = (hc) => {
  for (const [name, defaults] of [['maskedpaths', DEFAULT_MASKED_PATHS], ['readonlypaths', DEFAULT_READONLY_PATHS]] as const) {
    const lists = fieldValues(hc, name);
    if (lists.length === 0 || lists.some((l) => !Array.isArray(l) || defaults.some((p) => !(l as unknown[]).includes(p)))) {
      return violation(PolicyCode.SECURITY_OPT, 'unmasking system paths (masked or read-only /proc and /sys paths) is not allowed');
    }
  }
  return undefined;
};

/** One entry of the inspect's top-level Mounts (what is really mounted, `--volumes-from` included): volumes of the local driver and tmpfs. */
const mountPointRule: Rule = (point) => mountRule(fields(point, ['type'], true)) ?? volumeCreateRule(fields(point, ['driver'], true));

const containerRule: Rule = (doc) => {
  const found = fieldValues(doc, 'hostconfig');
  const hostConfigs = found.length > 0 ? found : [{}];
  const apparmor = fieldValues(doc, 'apparmorprofile').find((p) => typeof p !== 'string' || !DEFAULT_APPARMOR.has(p.trim()));
  const networks = pathValues(doc, 'networksettings', 'networks').filter(isObject).flatMap((n) => Object.keys(n));
  return firstOf(
    () => firstIn(hostConfigs, (hc) => hostConfigRule(fields(hc, FIRST_FIELDS, true))),
    () => firstIn(hostConfigs, (hc) => hostConfigRule(fields(hc, SYSTEM_PATHS, false))),
    () => firstIn(hostConfigs, systemPathsRule),
    () => (apparmor === undefined ? undefined : violation(PolicyCode.SECURITY_OPT, `AppArmor profile ${JSON.stringify(apparmor)} is not allowed`)),
    () => firstIn(elements(fieldValues(doc, 'mounts')), mountPointRule),
    () => (networks.some((n) => lowerString(n) === 'host') ? violation(PolicyCode.HOST_NAMESPACE, 'connecting to the host network is not allowed') : undefined),
  );
};

// A volume's inspect calls its driver options `Options` (DriverOpts when it is created): judge each as such.
const volumeRule: Rule = (doc) => volumeCreateRule(fields(doc, ['driver'], true)) ?? firstIn(fieldValues(doc, 'options'), (o) => volumeCreateRule({ DriverOpts: o }));

// Only the predefined `host` network has the host driver (the engine refuses a second one); every other driver
// (bridge, overlay, macvlan, ipvlan, null) stays within the node's own namespaces, as docs/policy.md allows.
const networkRule: Rule = (doc) =>
  fieldValues(doc, 'driver').some((d) => lowerString(d) === 'host')
    ? violation(PolicyCode.HOST_NAMESPACE, 'the host network (driver "host") is not allowed: it is the node\'s own network namespace')
    : undefined;

const RULES: Readonly<Record<StoredKind, Rule>> = Object.freeze({
  container: containerRule,
  // Spec only: PreviousSpec is reached again by a rollback, which is an update the oracle checks in turn.
  service: (doc) => firstIn(fieldValues(doc, 'spec'), serviceSpecRule),
  volume: volumeRule,
  network: networkRule,
  exec: (doc) => execCreateRule(doc) ?? firstIn(fieldValues(doc, 'processconfig'), execCreateRule),
});

/** The first policy violation in what the engine stored (its own inspect document), if any; judge its `storedReferences` too. */
export function storedViolation(kind: StoredKind, inspected: unknown): Violation | undefined {
  return RULES[kind](inspected);
}

// A volume made by a mount with driver options outlives its container; a service's networks are stored by id, the host one too.
/** What a stored object uses that must pass `storedViolation` as well: a container's volumes, a service's networks. */
export function storedReferences(kind: StoredKind, inspected: unknown): StoredReference[] {
  const ids = (values: unknown[]) => [...new Set(values.filter((v): v is string => typeof v === 'string' && v.trim() !== ''))];
  if (kind === 'container') {
    const volumes = elements(fieldValues(inspected, 'mounts')).filter((m) => fieldValues(m, 'type').some((t) => lowerString(t) === 'volume'));
    return ids(volumes.flatMap((m) => fieldValues(m, 'name'))).map((id): StoredReference => ({ kind: 'volume', id }));
  }
  if (kind === 'service') {
    return ids(fieldValues(inspected, 'spec').flatMap((spec) => networkReferences('/services/create', spec))).map((id): StoredReference => ({ kind: 'network', id }));
  }
  return [];
}

/** The engine's own id of an inspected object (a volume's is its name), if the document has one. */
export function storedId(kind: StoredKind, inspected: unknown): string | undefined {
  const id = fieldValues(inspected, kind === 'volume' ? 'name' : 'id').find((v) => typeof v === 'string' && v !== '');
  return typeof id === 'string' ? id : undefined;
}
