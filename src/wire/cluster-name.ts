// A letter, then letters, digits, "_", "." or "-".
const FIRST = '[a-zA-Z]';
const REST = '[a-zA-Z0-9_.-]';

/** The cluster-name rule (unique per account as well); `pattern` is a JSON Schema / RegExp source. */
export const CLUSTER_NAME = Object.freeze({ pattern: `^${FIRST}${REST}*$`, maxLength: 63 });

/** What is wrong with a cluster name; each surface words it for its own reader. */
export type ClusterNameFault = 'empty' | 'too-long' | 'first-character' | 'characters';

const FIRST_RE = new RegExp(`^${FIRST}`);
const WHOLE_RE = new RegExp(CLUSTER_NAME.pattern);

/** Null when `name` follows the cluster-name rule, else the first fault found. */
export function clusterNameFault(name: string): ClusterNameFault | null {
  if (name.length === 0) return 'empty';
  if (name.length > CLUSTER_NAME.maxLength) return 'too-long';
  if (!FIRST_RE.test(name)) return 'first-character';
  if (!WHOLE_RE.test(name)) return 'characters';
  return null;
}
