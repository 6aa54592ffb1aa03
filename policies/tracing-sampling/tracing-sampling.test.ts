import type policy from '.';
import { capFor } from '.';

type Params = typeof policy.defaults;

const params = (namespaceMaxPercentage: Record<string, number>): Params => ({
  maxPercentage: 10,
  namespaceMaxPercentage,
});

describe('tracing-sampling capFor', () => {
  it('falls back to maxPercentage when no namespace entry matches', () => {
    expect(capFor('shop', params({ 'dev-*': 100 }))).toBe(10);
  });

  it('prefers an exact namespace over any pattern', () => {
    expect(capFor('dev-payments', params({ 'dev-*': 100, 'dev-payments': 5, '*': 50 }))).toBe(5);
  });

  it('prefers the longest matching pattern, and the lower cap on a tie', () => {
    expect(capFor('dev-payments', params({ '*': 1, 'dev-*': 100 }))).toBe(100);
    expect(capFor('dev-payments', params({ 'dev-*': 100, '*-payments': 20 }))).toBe(20);
  });

  it('allows a cap of 0 (no random sampling at all)', () => {
    expect(capFor('prod', params({ prod: 0 }))).toBe(0);
  });
});
