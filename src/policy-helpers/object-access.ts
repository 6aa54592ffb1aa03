/**
 * Reading untyped Kubernetes objects without `any`: each accessor answers undefined (or empty) for the wrong shape,
 * so a policy never throws on an object the schema layer has already reported.
 */
export type Json = Record<string, unknown>;

export function asRecord(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function asRecords(v: unknown): Json[] {
  return asArray(v).map((x) => asRecord(x) ?? {});
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function asNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Follows a chain of property names; undefined as soon as one is missing. */
export function dig(v: unknown, ...keys: string[]): unknown {
  let cur = v;
  for (const k of keys) {
    const r = asRecord(cur);
    if (r === undefined) return undefined;
    cur = r[k];
  }
  return cur;
}

/** dig() with the keys as one list, for hot paths with fixed key lists (no rest-argument array per call). */
export function digPath(v: unknown, keys: readonly string[]): unknown {
  let cur = v;
  for (let i = 0; i < keys.length; i++) {
    const r = asRecord(cur);
    if (r === undefined) return undefined;
    cur = r[keys[i] as string];
  }
  return cur;
}

export function specOf(object: Json): Json {
  return asRecord(object.spec) ?? {};
}

export function metadataOf(object: Json): Json {
  return asRecord(object.metadata) ?? {};
}
