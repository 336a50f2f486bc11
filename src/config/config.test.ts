import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('server configuration', () => {
  it('has embedded defaults', () => {
    const c = loadConfig({ CARINA_DATA_DIR: '/tmp/x' });
    expect(c.databaseUrl).toBe('sqlite:/tmp/x/carina.db');
    expect([c.listenHost, c.listenPort]).toEqual(['127.0.0.1', 8080]);
    expect(c.portRange).toEqual({ from: 23760, to: 24759 });
    expect(c.advertiseAddress).toBe('127.0.0.1');
    expect(c.instance).toMatch(/^[0-9a-f]{12}$/);
    expect(c.replicaId).toBe(`${hostname()}:8080`);
    expect(c.leaseTtlMs).toBe(15_000);
  });

  it('runs nodes on the userns node engine when root, on the host engine otherwise, unless told', () => {
    expect(loadConfig({}, true)).toMatchObject({ nodeEngine: 'userns', nodeEngineHost: 'unix:///run/carina-nodes/docker.sock' });
    expect(loadConfig({}, false).nodeEngine).toBe('host');
    expect(loadConfig({ CARINA_NODE_ENGINE: 'host' }, true).nodeEngine).toBe('host');
    expect(loadConfig({ CARINA_NODE_ENGINE: 'userns', CARINA_NODE_ENGINE_HOST: 'unix:///tmp/n.sock' }, false)).toMatchObject({ nodeEngine: 'userns', nodeEngineHost: 'unix:///tmp/n.sock' });
    expect(() => loadConfig({ CARINA_NODE_ENGINE: 'rootless' })).toThrow(/CARINA_NODE_ENGINE/);
  });

  it('names a replica by its host and API port unless told, and keeps the lease at 3 s or more', () => {
    expect(loadConfig({ CARINA_LISTEN: '0.0.0.0:9090' }).replicaId).toBe(`${hostname()}:9090`);
    expect(loadConfig({ CARINA_REPLICA_ID: 'cp-2', CARINA_LEASE_TTL_MS: '500' })).toMatchObject({ replicaId: 'cp-2', leaseTtlMs: 3_000 });
  });

  it('reads overrides and rejects nonsense with a message naming the variable', () => {
    const c = loadConfig({ CARINA_DATA_DIR: '/tmp/x', CARINA_LISTEN: '0.0.0.0:9090', CARINA_PORT_RANGE: '30000-30010' });
    expect([c.listenHost, c.listenPort, c.portRange.from]).toEqual(['0.0.0.0', 9090, 30000]);
    expect(() => loadConfig({ CARINA_LISTEN: 'x:notaport' })).toThrow(/CARINA_LISTEN/);
    expect(() => loadConfig({ CARINA_PORT_RANGE: '9-1' })).toThrow(/CARINA_PORT_RANGE/);
    expect(() => loadConfig({ CARINA_MAX_FAILURES: '-1' })).toThrow(/CARINA_MAX_FAILURES/);
  });

  it('bounds slow and greedy clients of the API and the gateway unless told otherwise', () => {
    const c = loadConfig({});
    expect(c.apiLimits).toEqual({ headersTimeoutMs: 15_000, requestTimeoutMs: 30_000, maxConnections: 1_024, maxConnectionsPerAddress: 64 });
    expect(c.gatewayLimits).toEqual({ headersTimeoutMs: 15_000, maxConnections: 4_096, maxConnectionsPerCluster: 512, maxConnectionsPerAddress: 256 });
    const told = loadConfig({ CARINA_HEADERS_TIMEOUT_MS: '5000', CARINA_API_MAX_CONNECTIONS_PER_ADDRESS: '0', CARINA_GATEWAY_MAX_CONNECTIONS_PER_CLUSTER: '64' });
    expect([told.apiLimits.headersTimeoutMs, told.gatewayLimits.headersTimeoutMs, told.apiLimits.maxConnectionsPerAddress]).toEqual([5_000, 5_000, 0]);
    expect(told.gatewayLimits.maxConnectionsPerCluster).toBe(64);
    expect(() => loadConfig({ CARINA_HEADERS_TIMEOUT_MS: '0' })).toThrow(/CARINA_HEADERS_TIMEOUT_MS must be a positive/);
    expect(() => loadConfig({ CARINA_HEADERS_TIMEOUT_MS: '40000' })).toThrow(/CARINA_API_REQUEST_TIMEOUT_MS \(30000\) must be at least CARINA_HEADERS_TIMEOUT_MS/);
  });

  it('logs JSON lines at info unless told, pretty ones by default when the log goes to a terminal', () => {
    expect(loadConfig({}, false, false).log).toEqual({ format: 'json', level: 'info' });
    expect(loadConfig({}, false, true).log).toEqual({ format: 'pretty', level: 'info' });
    expect(loadConfig({ CARINA_LOG_FORMAT: 'json' }, false, true).log.format).toBe('json');
    expect(loadConfig({ CARINA_LOG_FORMAT: 'pretty', CARINA_LOG_LEVEL: 'DEBUG' }, false, false).log).toEqual({ format: 'pretty', level: 'debug' });
    expect(() => loadConfig({ CARINA_LOG_FORMAT: 'text' })).toThrow(/CARINA_LOG_FORMAT must be json or pretty \(got "text"\)/);
    expect(() => loadConfig({ CARINA_LOG_LEVEL: 'verbose' })).toThrow(/CARINA_LOG_LEVEL must be one of debug, info, warn, error/);
  });

  it('serves metrics only when told where, apart from the API, with a token if one is given', () => {
    expect(loadConfig({}).metrics).toBeUndefined();
    expect(loadConfig({ CARINA_METRICS_LISTEN: '127.0.0.1:9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464, token: undefined });
    const token = 'f'.repeat(64);
    expect(loadConfig({ CARINA_METRICS_LISTEN: '[::1]:9464', CARINA_METRICS_TOKEN: token }).metrics).toEqual({ host: '::1', port: 9464, token });
    expect(loadConfig({ CARINA_METRICS_LISTEN: 'metrics.internal:9464' }).metrics?.host).toBe('metrics.internal');
    for (const listen of ['9464', ':9464', '127.0.0.1:0', '127.0.0.1:70000', '127.0.0.1:x', 'a b:1']) {
      expect(() => loadConfig({ CARINA_METRICS_LISTEN: listen }), listen).toThrow(/CARINA_METRICS_LISTEN must be HOST:PORT/);
    }
    expect(() => loadConfig({ CARINA_LISTEN: '127.0.0.1:9000', CARINA_METRICS_LISTEN: '127.0.0.1:9000' })).toThrow(/CARINA_METRICS_LISTEN must differ from CARINA_LISTEN/);
    expect(() => loadConfig({ CARINA_METRICS_TOKEN: token })).toThrow(/CARINA_METRICS_TOKEN is set but CARINA_METRICS_LISTEN is not/);
    expect(() => loadConfig({ CARINA_METRICS_LISTEN: '127.0.0.1:9464', CARINA_METRICS_TOKEN: 'short' })).toThrow(/CARINA_METRICS_TOKEN must be at least 16/);
    expect(() => loadConfig({ CARINA_METRICS_LISTEN: '127.0.0.1:9464', CARINA_METRICS_TOKEN: 'with a space in it, long enough' })).toThrow(/CARINA_METRICS_TOKEN/);
  });
});
