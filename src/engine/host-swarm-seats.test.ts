import { describe, expect, it } from 'vitest';
import { parseJoinAddress } from './host-join-address.js';
import { emptySeats, joinThrough, managerAddresses, readyToManage, type SwarmMember } from './host-swarm-seats.js';

const addr = (id: string) => `10.214.0.${id.slice(1)}`;
const manager = (id: string): SwarmMember => ({ ID: id, Spec: { Role: 'manager', Availability: 'active' }, Status: { State: 'ready', Addr: addr(id) }, ManagerStatus: { Addr: `${addr(id)}:2377`, Reachability: 'reachable' } });
const worker = (id: string, state = 'ready', availability = 'active'): SwarmMember => ({ ID: id, Spec: { Role: 'worker', Availability: availability }, Status: { State: state, Addr: addr(id) } });
/** A worker whose promotion Docker could not carry out: manager by role, no Raft seat. */
const stuck = (id: string): SwarmMember => ({ ID: id, Spec: { Role: 'manager', Availability: 'active' }, Status: { State: 'down', Addr: addr(id) } });

describe('the hosts’ swarm’s empty manager seats', () => {
  it.each<[string, SwarmMember[], number, string[]]>([
    ['three managers: none', [manager('h1'), manager('h2'), manager('h3'), worker('h4')], 0, []],
    ['a lost manager taken out: one seat, the ready worker', [manager('h2'), manager('h3'), worker('h4')], 1, ['h4']],
    ['workers in address order (10.214.0.9 before 10.214.0.10)', [manager('h2'), manager('h3'), worker('h10'), worker('h9')], 1, ['h9', 'h10']],
    ['two seats', [manager('h2'), worker('h4'), worker('h5')], 2, ['h4', 'h5']],
    ['a worker that is down or drained is no candidate', [manager('h2'), manager('h3'), worker('h4', 'down'), worker('h5', 'ready', 'drain'), worker('h6')], 1, ['h6']],
    ['a promotion Docker could not carry out takes no seat', [manager('h2'), manager('h3'), stuck('h4'), worker('h5')], 1, ['h5']],
    ['no worker: the seat stays empty', [manager('h2'), manager('h3')], 1, []],
    ['more managers than seats: none', [manager('h1'), manager('h2'), manager('h3'), manager('h4'), worker('h5')], 0, []],
  ])('%s', (_, members, free, candidates) => {
    const seats = emptySeats(members, 3);
    expect(seats.free).toBe(free);
    expect(seats.candidates.map((m) => m.ID)).toEqual(candidates);
  });

  it('lists the Raft members’ addresses without their port', () => {
    expect([...managerAddresses([manager('h2'), manager('h3'), worker('h4'), stuck('h5')])]).toEqual(['10.214.0.2', '10.214.0.3']);
  });
});

describe('whether a worker may be promoted now', () => {
  const managers = new Set(['10.214.0.2', '10.214.0.3']);
  const active = { LocalNodeState: 'active', Error: '' };
  it.each<[string, Parameters<typeof readyToManage>[0], string | undefined, boolean]>([
    ['it joined through a manager there is', active, '10.214.0.3', true],
    ['it joined through the lost host (its promotion would dial it and stop in error)', active, '10.214.0.1', false],
    ['its join address could not be read', active, undefined, false],
    ['its swarm component is in error', { LocalNodeState: 'error', Error: 'manager stopped' }, '10.214.0.2', false],
    ['it is still joining', { LocalNodeState: 'pending' }, '10.214.0.2', false],
  ])('%s: %s', (_, view, joinAddress, ready) => {
    expect(readyToManage(view, joinAddress, managers)).toBe(ready);
  });
});

describe('the address a host joined the hosts’ swarm through', () => {
  it.each<[string, string, string | undefined]>([
    ['a joined host', '{"LocalAddr":"","RemoteAddr":"10.214.77.12:2377","ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"10.214.77.14:2377","JoinInProgress":false}', '10.214.77.12'],
    ['the host that formed the swarm', '{"LocalAddr":"","RemoteAddr":"","ListenAddr":"0.0.0.0:2377"}', undefined],
    ['no such field', '{}', undefined],
    ['not JSON', 'cat: /swarm-state.json: Permission denied', undefined],
  ])('%s', (_, text, address) => {
    expect(parseJoinAddress(text)).toBe(address);
  });
});

describe('the manager a host joins through', () => {
  it.each<[string, string[], string[], string | undefined]>([
    ['the second host: the one that formed the swarm', ['10.0.0.1'], [], '10.0.0.1'],
    ['the third: the manager nobody joined through yet', ['10.0.0.1', '10.0.0.2'], ['10.0.0.1'], '10.0.0.2'],
    ['a worker: again the least used, so losing one manager host strands the fewest workers', ['10.0.0.1', '10.0.0.2', '10.0.0.3'], ['10.0.0.1', '10.0.0.2'], '10.0.0.3'],
    ['a tie: the lowest address (numerically)', ['10.0.0.10', '10.0.0.9'], [], '10.0.0.9'],
    ['joins through a host that manages no more do not count', ['10.0.0.2', '10.0.0.3'], ['10.0.0.1', '10.0.0.1', '10.0.0.2'], '10.0.0.3'],
    ['no manager', [], ['10.0.0.1'], undefined],
  ])('%s', (_, managers, joined, through) => {
    expect(joinThrough(managers, joined)).toBe(through);
  });
});
