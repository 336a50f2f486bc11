import { describe, expect, it } from 'vitest';
import type { WarmShell } from './ports.js';
import { parsePoolSpec, planPool, SHELL_BUILD_GIVE_UP_MS, type ShellSpec } from './warm-pool.js';

const T = Date.parse('2026-12-03T12:00:00Z');
const shell = (id: string, nodeCount: number, over: Partial<WarmShell> = {}): WarmShell => ({ id, flavor: 'f1', nodeCount, port: 1, ready: true, createdAt: new Date(T), ...over });
const spec = (nodeCount: number, flavor = 'f1'): ShellSpec => ({ flavor, nodeCount });
const ids = (shells: readonly WarmShell[]) => shells.map((s) => s.id);

describe('parsePoolSpec', () => {
  const known = (name: string) => ['f1', 'f2'].includes(name);
  it.each([
    ['1,3', [spec(1), spec(3)]],
    [' 3 , 3@f2 ', [spec(3), spec(3, 'f2')]],
    ['0', []],
    ['', []],
    ['1,0,2', [spec(1), spec(2)]],
  ])('%j → %j', (text, expected) => {
    expect(parsePoolSpec(text, 'f1', known)).toEqual(expected);
  });
  it.each([
    ['three', /"three" is not a node count/],
    ['-1', /"-1" is not a node count/],
    ['2@nope', /unknown flavor "nope"/],
  ])('refuses %j', (text, message) => {
    expect(() => parsePoolSpec(text, 'f1', known)).toThrow(message);
  });
});

describe('planPool', () => {
  it.each<[string, ShellSpec[], WarmShell[], { reserve: ShellSpec[]; build: string[]; release: string[] }]>([
    ['an empty pool reserves one shell per spec', [spec(1), spec(3)], [], { reserve: [spec(1), spec(3)], build: [], release: [] }],
    ['a full pool does nothing', [spec(1), spec(3)], [shell('a', 3), shell('b', 1)], { reserve: [], build: [], release: [] }],
    ['a taken shell is reserved again', [spec(1), spec(3)], [shell('b', 1)], { reserve: [spec(3)], build: [], release: [] }],
    ['a shell not ready yet is built (again, after a crash)', [spec(3)], [shell('a', 3, { ready: false })], { reserve: [], build: ['a'], release: [] }],
    ['two of a kind when two are wanted', [spec(3), spec(3)], [shell('a', 3)], { reserve: [spec(3)], build: [], release: [] }],
    ['surplus shells go (fewer wanted, another size, another flavor)', [spec(3)], [shell('a', 3), shell('b', 3), shell('c', 1), shell('d', 3, { flavor: 'f2' })], { reserve: [], build: [], release: ['b', 'c', 'd'] }],
    ['none wanted: every shell goes, built or not', [], [shell('a', 3), shell('b', 1, { ready: false })], { reserve: [], build: [], release: ['a', 'b'] }],
    [
      'a build that never finished is given up and another reserved',
      [spec(3)],
      [shell('old', 3, { ready: false, createdAt: new Date(T - SHELL_BUILD_GIVE_UP_MS - 1) })],
      { reserve: [spec(3)], build: [], release: ['old'] },
    ],
    ['a ready shell is never given up for its age', [spec(3)], [shell('old', 3, { createdAt: new Date(T - 10 * SHELL_BUILD_GIVE_UP_MS) })], { reserve: [], build: [], release: [] }],
  ])('%s', (_, wanted, shells, expected) => {
    const plan = planPool(wanted, shells, T);
    expect({ reserve: plan.reserve, build: ids(plan.build), release: ids(plan.release) }).toEqual(expected);
  });
});
