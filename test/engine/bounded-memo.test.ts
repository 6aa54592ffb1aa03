import { boundedMemo } from '../../src/bounded-memo';

describe('boundedMemo', () => {
  const counting = () => {
    const calls: string[] = [];
    const compute = (text: string) => {
      calls.push(text);
      return text.length;
    };
    return { calls, compute };
  };

  it('computes a text once and answers it from memory after', () => {
    const { calls, compute } = counting();
    const memo = boundedMemo(compute, { maxEntries: 4 });
    expect([memo('ab'), memo('ab'), memo('abc')]).toEqual([2, 2, 3]);
    expect(calls).toEqual(['ab', 'abc']);
  });

  it('remembers undefined answers too', () => {
    let calls = 0;
    const memo = boundedMemo(
      () => {
        calls++;
        return undefined;
      },
      { maxEntries: 4 },
    );
    memo('x');
    memo('x');
    expect(calls).toBe(1);
  });

  it('empties itself when full, so hostile input cannot grow it', () => {
    const { calls, compute } = counting();
    const memo = boundedMemo(compute, { maxEntries: 2 });
    for (const t of ['a', 'b', 'c', 'a']) memo(t);
    // 'c' found the memory full and emptied it, so 'a' is computed again.
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
  });

  it('does not keep texts longer than maxKeyLength', () => {
    const { calls, compute } = counting();
    const memo = boundedMemo(compute, { maxEntries: 4, maxKeyLength: 3 });
    for (const t of ['abcd', 'abcd', 'abc', 'abc']) memo(t);
    expect(calls).toEqual(['abcd', 'abcd', 'abc']);
  });
});
