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

/** A Kubernetes label selector (`matchLabels` and `matchExpressions`), as in a namespaceSelector. */
export interface LabelSelector {
  matchLabels?: Readonly<Record<string, string>>;
  matchExpressions?: ReadonlyArray<{
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: readonly string[];
  }>;
}

/** Kubernetes semantics: every requirement holds; an empty selector matches everything. */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (!matchesLabels(selector.matchLabels, labels)) return false;
  return (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        return has && (e.values ?? []).includes(value as string);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(value as string);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}
