import { MAX_NESTING_DEPTH, nestingDepth, parseAdmissionReview } from '../../src/admission/parse-review';

const nested = (depth: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  // Outermost is always an object, as a request.object must be.
  for (let i = depth - 1; i >= 0; i--) value = i % 2 === 0 ? { a: value } : [value];
  return value;
};

describe('nestingDepth', () => {
  it.each([
    ['a scalar', 7, 0],
    ['null', null, 0],
    ['an empty object', {}, 1],
    ['an object of scalars', { a: 1, b: 'x', c: null }, 1],
    ['objects and arrays alternating, 10 deep', nested(10), 10],
    ['the deepest branch wins', { shallow: { x: 1 }, deep: nested(7), after: [] }, 8],
    ['an array of arrays', [[[]], []], 3],
  ])('%s', (_name, value, depth) => {
    expect(nestingDepth(value, MAX_NESTING_DEPTH)).toBe(depth);
  });

  it('stops just past the limit instead of walking hostile input to the bottom', () => {
    expect(nestingDepth(nested(100_000), 100)).toBe(101);
    expect(nestingDepth(nested(100), 100)).toBe(100);
  });

  it('makes parseAdmissionReview refuse a review nested past the limit, and only then', () => {
    const review = (object: unknown) => ({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid: 'u', operation: 'CREATE', kind: { group: 'g', version: 'v1', kind: 'K' }, object },
    });
    // The review and request add two levels above the object.
    expect(parseAdmissionReview(review(nested(MAX_NESTING_DEPTH - 2))).ok).toBe(true);
    const refused = parseAdmissionReview(review(nested(MAX_NESTING_DEPTH - 1)));
    expect(refused).toEqual({ ok: false, message: expect.stringMatching(/nests deeper than 100 levels/) });
  });
});
