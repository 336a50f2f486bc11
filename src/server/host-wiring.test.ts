import { describe, expect, it } from 'vitest';
import { controlPlaneReach } from './host-wiring.js';

const config = { listenPort: 8443, portRange: { from: 26000, to: 26999 }, advertiseAddress: '127.0.0.1', publishAddress: '0.0.0.0', trustProxy: [] };

describe('controlPlaneReach', () => {
  it("gives the hosts' guards the registry's address and the public ports: API, cluster endpoints, registry", () => {
    expect(controlPlaneReach(config, '10.214.0.1:5443')).toEqual({ addresses: ['10.214.0.1'], tcpPorts: ['8443', '26000:26999', '5443'] });
  });

  it("opens 443 too when a TLS proxy stands in front of the API (CARINA_TRUST_PROXY)", () => {
    expect(controlPlaneReach({ ...config, trustProxy: ['192.0.2.7'] }, '10.214.0.1:5443').tcpPorts).toEqual(['8443', '26000:26999', '5443', '443']);
  });

  it('adds the advertised and publish addresses once each, and leaves out loopback, wildcards, names and IPv6', () => {
    expect(controlPlaneReach({ ...config, advertiseAddress: '192.0.2.9', publishAddress: '192.0.2.9' }, undefined)).toEqual({ addresses: ['192.0.2.9'], tcpPorts: ['8443', '26000:26999'] });
    expect(controlPlaneReach({ ...config, advertiseAddress: 'carina.example.com', publishAddress: '::' }, 'registry.example.com:5443').addresses).toEqual([]);
  });
});
