import { describe, expect, it } from 'vitest';
import { GUARD_CHAINS, hostGuardRules } from './host-guard-rules.js';
import { guardScript } from './host-guard.js';

const facts = { hostAddresses: ['10.0.0.6', '10.0.0.5', '10.0.0.6'], overlaySubnets: ['10.213.0.0/16', '10.215.0.0/16'] };
const lines = (bridge: string, chain: string) =>
  hostGuardRules(facts)
    .filter((r) => r.chain === chain && r.args[1] === bridge)
    .map((r) => r.args.slice(2).join(' '));

describe('hostGuardRules', () => {
  it("lets into the host only answers to its own connections and DNS from a container bridge, and refuses the rest (engine, swarm, published node engines)", () => {
    expect(lines('docker_gwbridge', GUARD_CHAINS.input)).toEqual([
      '-m conntrack --ctstate ESTABLISHED,RELATED -j RETURN',
      '-p udp --dport 53 -j RETURN',
      '-p tcp --dport 53 -j RETURN',
      '-p tcp -j REJECT --reject-with tcp-reset',
      '-j REJECT',
    ]);
    expect(lines('docker0', GUARD_CHAINS.input)).toEqual(lines('docker_gwbridge', GUARD_CHAINS.input));
  });

  it('refuses forwarding a new connection to any host (by its original destination, once each), an overlay-only subnet or a link-local address', () => {
    expect(lines('docker_gwbridge', GUARD_CHAINS.forward)).toEqual([
      '-m conntrack --ctstate ESTABLISHED,RELATED -j RETURN',
      '-m conntrack --ctorigdst 10.0.0.5 -p tcp -j REJECT --reject-with tcp-reset',
      '-m conntrack --ctorigdst 10.0.0.5 -j REJECT',
      '-m conntrack --ctorigdst 10.0.0.6 -p tcp -j REJECT --reject-with tcp-reset',
      '-m conntrack --ctorigdst 10.0.0.6 -j REJECT',
      '-d 10.213.0.0/16 -p tcp -j REJECT --reject-with tcp-reset',
      '-d 10.213.0.0/16 -j REJECT',
      '-d 10.215.0.0/16 -p tcp -j REJECT --reject-with tcp-reset',
      '-d 10.215.0.0/16 -j REJECT',
      '-d 169.254.0.0/16 -p tcp -j REJECT --reject-with tcp-reset',
      '-d 169.254.0.0/16 -j REJECT',
    ]);
  });

  it("lets through to the control plane's addresses only its public TCP ports, once each, and refuses the rest", () => {
    const withPlane = { ...facts, controlPlane: { addresses: ['192.0.2.9', '10.214.0.1', '192.0.2.9'], tcpPorts: ['8443', '26000:26999', '5443', '8443'] } };
    const forward = hostGuardRules(withPlane).filter((r) => r.chain === GUARD_CHAINS.forward && r.args[1] === 'docker0').map((r) => r.args.slice(2).join(' '));
    // After the hosts and the overlay-only subnets, as before.
    expect(forward.slice(0, 11)).toEqual(hostGuardRules(facts).filter((r) => r.chain === GUARD_CHAINS.forward && r.args[1] === 'docker0').map((r) => r.args.slice(2).join(' ')));
    expect(forward.slice(11)).toEqual([
      '-d 10.214.0.1 -p tcp --dport 8443 -j RETURN',
      '-d 10.214.0.1 -p tcp --dport 26000:26999 -j RETURN',
      '-d 10.214.0.1 -p tcp --dport 5443 -j RETURN',
      '-d 10.214.0.1 -p tcp -j REJECT --reject-with tcp-reset',
      '-d 10.214.0.1 -j REJECT',
      '-d 192.0.2.9 -p tcp --dport 8443 -j RETURN',
      '-d 192.0.2.9 -p tcp --dport 26000:26999 -j RETURN',
      '-d 192.0.2.9 -p tcp --dport 5443 -j RETURN',
      '-d 192.0.2.9 -p tcp -j REJECT --reject-with tcp-reset',
      '-d 192.0.2.9 -j REJECT',
    ]);
  });

  it('touches only traffic that enters from a container bridge', () => {
    expect(hostGuardRules(facts).every((r) => r.args[0] === '-i' && ['docker_gwbridge', 'docker0'].includes(r.args[1] ?? ''))).toBe(true);
  });

  it('with no host registered, still closes the host itself and the overlay subnets', () => {
    const rules = hostGuardRules({ hostAddresses: [], overlaySubnets: [] });
    expect(rules.filter((r) => r.args.includes('--ctorigdst'))).toEqual([]);
    expect(rules.filter((r) => r.chain === GUARD_CHAINS.input)).toHaveLength(10);
  });
});

describe('guardScript', () => {
  const script = guardScript(hostGuardRules(facts));

  it('installs every rule in order, checks each, and hooks its chains first into INPUT and DOCKER-USER', () => {
    expect(script).toContain('iptables -w -A CARINA-GUARD-FWD -i docker_gwbridge -m conntrack --ctorigdst 10.0.0.5 -p tcp -j REJECT --reject-with tcp-reset');
    expect(script).toContain('iptables -w -C CARINA-GUARD-IN -i docker0 -j REJECT 2>/dev/null');
    expect(script).toContain('iptables -w -C INPUT -j CARINA-GUARD-IN 2>/dev/null || iptables -w -I INPUT 1 -j CARINA-GUARD-IN');
    expect(script).toContain('iptables -w -C DOCKER-USER -j CARINA-GUARD-FWD 2>/dev/null || iptables -w -I DOCKER-USER 1 -j CARINA-GUARD-FWD');
    expect(script.match(/ -A /g)).toHaveLength(hostGuardRules(facts).length);
  });

  it('quotes what sh would read specially', () => {
    const odd = guardScript([{ chain: GUARD_CHAINS.forward, args: ['-d', "a b;'c"] }]);
    expect(odd).toContain(`-d 'a b;'\\''c'`);
  });
});
