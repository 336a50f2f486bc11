import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// package.json `overrides` puts stand-ins (stubs/README.md) where dockerode would load ssh2 and
// BuildKit's gRPC: these tests fail if an install brings the real ones back.
const require = createRequire(import.meta.url);

describe('transports dockerode loads but Carina never uses', () => {
  it('are stand-ins that fail loudly when called', () => {
    const ssh2 = require('ssh2') as { Client: new () => unknown };
    expect(() => new ssh2.Client()).toThrow(/ssh2 is not installed with Carina/);
    const grpc = require('@grpc/grpc-js') as { Server?: unknown };
    expect(() => grpc.Server).toThrow(/@grpc\/grpc-js is not installed with Carina.*Server/);
    for (const name of ['ssh2', '@grpc/grpc-js', '@grpc/proto-loader']) {
      expect((require(`${name}/package.json`) as { version: string }).version, name).toBe('0.0.0-carina-unused');
    }
  });

  it('are what dockerode and docker-modem resolve, so loading dockerode loads neither ssh2 nor protobufjs', () => {
    const fromDockerode = createRequire(require.resolve('dockerode'));
    const fromModem = createRequire(fromDockerode.resolve('docker-modem'));
    expect(fromModem.resolve('ssh2')).toMatch(/\/stubs\/ssh2\/index\.js$/);
    expect(fromDockerode.resolve('@grpc/grpc-js')).toMatch(/\/stubs\/grpc-js\/index\.js$/);
    expect(fromDockerode.resolve('@grpc/proto-loader')).toMatch(/\/stubs\/proto-loader\/index\.js$/);
    fromDockerode('dockerode');
    expect(Object.keys(require.cache).filter((p) => /node_modules\/(protobufjs|ssh2)\//.test(p))).toEqual([]);
  });
});
