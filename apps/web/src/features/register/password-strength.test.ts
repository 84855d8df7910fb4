import { describe, expect, it } from 'vitest';
import { passwordStrength } from './password-strength';

describe('passwordStrength', () => {
  it.each([
    ['short', 'Too short'],
    ['12345678901', 'Weak'],
    ['abcdefgh', 'Weak'],
    ['aaaaaaaa1', 'Weak'],
    ['Passw0rd!', 'Fair'],
    ['river-stone', 'Fair'],
    ['river-stone-42', 'Good'],
    ['Blue-harbour-77', 'Strong'],
  ])('%s is %s', (password, label) => {
    expect(passwordStrength(password).label).toBe(label);
  });

  it('never rates a longer variant of a password lower', () => {
    const scores = ['river-stone', 'river-stone-4', 'river-stone-42-Q'].map((p) => passwordStrength(p).score);
    expect(scores).toEqual([...scores].sort());
  });
});
