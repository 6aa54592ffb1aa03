/**
 * A function of one text, remembered for the texts it has seen. The texts come from admitted objects, so the memory
 * is bounded: at most `maxEntries` (emptied when full; a mesh repeats a few texts, which come back at once) and no
 * key longer than `maxKeyLength` (such texts are computed every time, not kept).
 */
export function boundedMemo<T>(
  compute: (text: string) => T,
  { maxEntries, maxKeyLength = Number.POSITIVE_INFINITY }: { maxEntries: number; maxKeyLength?: number },
): (text: string) => T {
  const seen = new Map<string, T>();
  return (text) => {
    if (seen.has(text)) return seen.get(text) as T;
    const value = compute(text);
    if (text.length <= maxKeyLength) {
      if (seen.size >= maxEntries) seen.clear();
      seen.set(text, value);
    }
    return value;
  };
}
