import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { nodeTlsArchive, publishedEnginePort } from './remote-node.js';

describe('node engines on registered hosts', () => {
  it('finds the host port of the engine port in docker inspect and in docker ps shapes', () => {
    expect(publishedEnginePort({ '2376/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }, { HostIp: '::', HostPort: '32768' }] } as never)).toBe(32768);
    expect(publishedEnginePort({ '2376/tcp': null })).toBeUndefined();
    expect(publishedEnginePort({ '80/tcp': [{ HostPort: '8080' }] })).toBeUndefined();
    expect(publishedEnginePort([{ PrivatePort: 2377, PublicPort: 1, Type: 'tcp' }, { PrivatePort: 2376, PublicPort: 32769, Type: 'tcp' }])).toBe(32769);
    expect(publishedEnginePort([{ PrivatePort: 2376, Type: 'tcp' }])).toBeUndefined();
    expect(publishedEnginePort(undefined)).toBeUndefined();
  });

  /** Each entry of a tar as `TYPE NAME MODE UID:GID`, and each file's contents. */
  const unpack = async (archive: NodeJS.ReadableStream) => {
    const entries: string[] = [];
    const contents = new Map<string, string>();
    await new Promise<void>((done, fail) => {
      const tar = extract();
      tar.on('entry', (header, stream, next) => {
        entries.push(`${header.type} ${header.name} ${(header.mode ?? 0).toString(8)} ${header.uid}:${header.gid}`);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          contents.set(header.name, Buffer.concat(chunks).toString());
          next();
        });
      });
      tar.on('finish', done);
      tar.on('error', fail);
      archive.pipe(tar);
    });
    return { entries, contents };
  };

  it('packs the TLS files root-owned, the key readable by root only, and the socket directory', async () => {
    const { entries, contents } = await unpack(nodeTlsArchive({ ca: 'CA', cert: 'CERT', key: 'KEY' }));
    expect(entries).toEqual([
      'directory etc/carina 755 0:0',
      'directory etc/carina/tls 700 0:0',
      'file etc/carina/tls/ca.pem 644 0:0',
      'file etc/carina/tls/cert.pem 644 0:0',
      'file etc/carina/tls/key.pem 600 0:0',
      'directory run/carina 700 0:0',
    ]);
    expect(contents.get('etc/carina/tls/key.pem')).toBe('KEY');
  });

  it("adds the platform registry's CA where the node's engine looks for it, readable by all", async () => {
    const { entries, contents } = await unpack(nodeTlsArchive({ ca: 'CA', cert: 'CERT', key: 'KEY' }, [{ address: '10.214.7.1:5000', caPem: 'REGISTRY CA' }]));
    expect(entries.filter((e) => e.includes('docker'))).toEqual([
      'directory etc/docker 755 0:0',
      'directory etc/docker/certs.d 755 0:0',
      'directory etc/docker/certs.d/10.214.7.1:5000 755 0:0',
      'file etc/docker/certs.d/10.214.7.1:5000/ca.crt 644 0:0',
    ]);
    expect(contents.get('etc/docker/certs.d/10.214.7.1:5000/ca.crt')).toBe('REGISTRY CA');
    // A name that would climb out of certs.d is refused, not packed.
    expect(() => nodeTlsArchive({ ca: 'CA', cert: 'CERT', key: 'KEY' }, [{ address: '../../etc', caPem: 'x' }])).toThrow(/not a registry address/);
  });
});
