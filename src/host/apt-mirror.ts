import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The Debian mirror used when the machine's apt sources name none. */
export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';

/** One apt source file: its path (the suffix picks the format) and its text. */
export interface AptSourceFile {
  readonly path: string;
  readonly content: string;
}

const SUITE = 'bookworm';
// debootstrap fetches over these schemes only (not cdrom:, mirror+file:, tor+http:).
const USABLE_URI = /^(https?|file):\/\//;

/** The first usable Debian mirror URI for bookworm in the given apt sources (deb822 `.sources` or one-line format). */
export function parseAptSources(files: readonly AptSourceFile[]): string | undefined {
  for (const file of files) {
    const uris = file.path.endsWith('.sources') ? deb822Uris(file.content) : oneLineUris(file.content);
    const uri = uris.find((u) => USABLE_URI.test(u));
    if (uri !== undefined) return uri.replace(/\/+$/, '');
  }
  return undefined;
}

/** The machine's Debian mirror, read from /etc/apt (apt's own order: sources.list, then sources.list.d/ by name). */
export function debianMirror(
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
  list: (dir: string) => string[] = (dir) => readdirSync(dir),
): string {
  const files: AptSourceFile[] = [];
  const add = (path: string): void => {
    try {
      files.push({ path, content: read(path) });
    } catch {
      // A missing or unreadable file simply contributes no source.
    }
  };
  add('/etc/apt/sources.list');
  let names: string[] = [];
  try {
    names = list('/etc/apt/sources.list.d');
  } catch {
    names = [];
  }
  for (const name of [...names].sort()) {
    if (name.endsWith('.sources') || name.endsWith('.list')) add(join('/etc/apt/sources.list.d', name));
  }
  return parseAptSources(files) ?? DEFAULT_DEBIAN_MIRROR;
}

function deb822Uris(content: string): string[] {
  const uris: string[] = [];
  for (const stanza of content.replace(/\r\n/g, '\n').split(/\n[ \t]*\n/)) {
    const fields = deb822Fields(stanza);
    const words = (name: string): string[] => (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb')) continue;
    if ((fields.get('enabled') ?? 'yes').trim().toLowerCase() === 'no') continue;
    if (!words('suites').includes(SUITE)) continue;
    uris.push(...words('uris'));
  }
  return uris;
}

function deb822Fields(stanza: string): Map<string, string> {
  const fields = new Map<string, string>();
  let current: string | undefined;
  for (const line of stanza.split('\n')) {
    if (line.startsWith('#')) continue;
    if (/^[ \t]/.test(line)) {
      if (current !== undefined) fields.set(current, `${fields.get(current) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current = line.slice(0, colon).trim().toLowerCase();
    fields.set(current, line.slice(colon + 1).trim());
  }
  return fields;
}

function oneLineUris(content: string): string[] {
  const uris: string[] = [];
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').replace(/\[[^\]]*\]/, ' ').trim();
    const [type, uri, suite] = line.split(/\s+/);
    if (type === 'deb' && uri !== undefined && suite === SUITE) uris.push(uri);
  }
  return uris;
}
