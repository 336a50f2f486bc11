import { describe, expect, it } from 'vitest';
import { registryConfigYaml, type RegistryProcessSettings } from './registry-process.js';

// docker-registry's configuration as Distribution 2.8 reads it. No YAML parser is a dependency of
// Carina, so the lines are checked as they are written.
const settings: RegistryProcessSettings = {
  storageDir: '/var/lib/carina data/registry: v2',
  backendPort: 5011,
  realm: 'https://10.0.0.5:5000/token',
  service: 'carina-registry',
  issuer: 'carina',
  tokenCertFile: '/var/lib/carina data/registry-token.pem',
  httpSecret: 'c2VjcmV0: # not a comment',
};

const lines = registryConfigYaml(settings).split('\n');

/** The lines under a top-level key (up to the next one). */
function section(name: string): string[] {
  const start = lines.indexOf(`${name}:`);
  expect(start, name).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).filter((l) => l !== '');
}

describe('registryConfigYaml', () => {
  it('listens on loopback only: everything reaches the registry through Carina\'s front', () => {
    expect(section('http')).toContain('  addr: "127.0.0.1:5011"');
    expect(lines.filter((l) => /^\s*addr:/.test(l))).toEqual(['  addr: "127.0.0.1:5011"']);
  });

  it('authenticates with tokens of the given realm, service, issuer and root certificate bundle', () => {
    expect(section('auth')).toEqual([
      '  token:',
      '    realm: "https://10.0.0.5:5000/token"',
      '    service: "carina-registry"',
      '    issuer: "carina"',
      '    rootcertbundle: "/var/lib/carina data/registry-token.pem"',
    ]);
  });

  it('allows deletes (carina registry rm, garbage collection) on the filesystem storage', () => {
    const storage = section('storage');
    expect(storage.slice(0, 4)).toEqual(['  filesystem:', '    rootdirectory: "/var/lib/carina data/registry: v2"', '  delete:', '    enabled: true']);
  });

  it('has no blob descriptor cache: after garbage collection it would say deleted blobs still exist, and pushes would skip uploading them', () => {
    const text = lines.join('\n');
    expect(text).not.toMatch(/cache/i);
    expect(text).not.toMatch(/blobdescriptor/i);
    expect(section('storage').filter((l) => /^ {2}\S/.test(l))).toEqual(['  filesystem:', '  delete:', '  maintenance:']);
  });

  it('quotes every string, so a path with spaces, a colon or a # survives, and escapes quotes and backslashes', () => {
    expect(section('http')).toContain('  secret: "c2VjcmV0: # not a comment"');
    const odd = registryConfigYaml({ ...settings, storageDir: 'C:\\store "x"' }).split('\n');
    expect(odd).toContain('    rootdirectory: "C:\\\\store \\"x\\""');
  });
});
