/**
 * Shell-style patterns for namespaces and names: `*` matches any run of characters, `?` one character, everything
 * else itself. Kubernetes names cannot contain either, so no escaping is needed.
 */
export function matchesPattern(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  return patternRegExp(pattern).test(value);
}

const cache = new Map<string, RegExp>();

function patternRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re === undefined) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`);
    cache.set(pattern, re);
  }
  return re;
}

export function matchesAny(patterns: readonly string[] | undefined, value: string): boolean {
  return patterns === undefined || patterns.some((p) => matchesPattern(p, value));
}

/** Kubernetes `matchLabels` semantics: every listed label present with that value. */
export function matchesLabels(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === undefined) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
