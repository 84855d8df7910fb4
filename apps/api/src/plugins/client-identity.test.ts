import { describe, expect, it } from 'vitest';
import { clientKey } from './client-identity.ts';

describe('clientKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.7:51234', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::'],
    ['2001:DB8:1:2::ffff', '2001:db8:1:2::'],
    ['[2001:db8:1:2::9]:443', '2001:db8:1:2::'],
    ['[2001:db8:1:2::9]', '2001:db8:1:2::'],
    ['not an address', 'unknown'],
    ['evil.example:80', 'unknown'],
    ['', 'unknown'],
  ])('%s counts as %s', (ip, key) => {
    expect(clientKey(ip, 64)).toBe(key);
  });

  it('groups IPv6 by the configured prefix', () => {
    expect(clientKey('2001:db8:1:2:3:4:5:6', 48)).toBe('2001:db8:1::');
    expect(clientKey('2001:db8:1:2:3:4:5:6', 128)).toBe('2001:db8:1:2:3:4:5:6');
  });
});
