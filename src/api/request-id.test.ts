import { describe, expect, it } from 'vitest';
import { requestId } from './request-id.js';

describe('request ids', () => {
  it("keeps a client's short safe token and replaces anything else with a new UUID", () => {
    expect(requestId('abc-123_X.y:z')).toBe('abc-123_X.y:z');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const bad of [undefined, '', 'a'.repeat(65), 'has space', 'new\nline', '{"json":1}', '<script>', ['a', 'b']]) {
      expect(requestId(bad), JSON.stringify(bad)).toMatch(uuid);
    }
    expect(requestId(undefined)).not.toBe(requestId(undefined));
  });
});
