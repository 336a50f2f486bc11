import type { RegistryInfo } from './types';

/** Where a docker daemon reads the CA of a registry (at every pull and push: no restart). */
export const CERTS_DIR = '/etc/docker/certs.d';

/** What the portal shows about the account's registry: the lines to copy, from `GET /v1/registry`. */
export interface RegistryLines {
  /** `docker login ADDRESS -u alice -p <your API key>`. */
  readonly login: string;
  /** The same without the key in the command line (for scripts and CI). */
  readonly loginStdin: string;
  /** Tag and push an image. */
  readonly push: string;
  /** `/etc/docker/certs.d/ADDRESS/ca.crt`. */
  readonly certsFile: string;
  /** The root commands that put a downloaded `ca.pem` there. */
  readonly trust: string;
}

/** The lines for `info`, signed in as `username` (the key is never shown: a placeholder). */
export function registryLines(info: Pick<RegistryInfo, 'address' | 'namespace'>, username: string): RegistryLines {
  const { address, namespace } = info;
  const dir = `${CERTS_DIR}/${address}`;
  return {
    login: `docker login ${address} -u ${username} -p <your API key>`,
    loginStdin: `printf '%s' "$CARINA_APIKEY" | docker login ${address} -u ${username} --password-stdin`,
    push: `docker tag app ${address}/${namespace}/app:1\ndocker push ${address}/${namespace}/app:1`,
    certsFile: `${dir}/ca.crt`,
    trust: `sudo install -d -m 0755 ${dir}\nsudo install -m 0644 ca.pem ${dir}/ca.crt`,
  };
}

/** A link target that downloads the CA as a file (a data: URL: no object URL to revoke). */
export const caHref = (caPem: string) => `data:application/x-pem-file;charset=utf-8,${encodeURIComponent(caPem)}`;

/** `sha256:0123456789ab`: the algorithm and the first 12 hex digits. */
export function shortDigest(digest: string): string {
  const m = /^([a-z0-9]+):([a-f0-9]{12})[a-f0-9]*$/.exec(digest);
  return m ? `${m[1]}:${m[2]}` : digest;
}

/** Percent of the quota used, whole (`<1` for a little, 0 without a quota). */
export function usedPercent(used: number, quota: number): string {
  if (quota <= 0) return '0';
  const p = (used / quota) * 100;
  return used > 0 && p < 1 ? '<1' : String(Math.round(p));
}
