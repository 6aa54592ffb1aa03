/**
 * istiod's warnings for VirtualService rules that can never be used: a rule after a catch-all rule (one without
 * matches), a match identical to an earlier rule's, and an HTTP prefix match wholly covered by an earlier, shorter
 * prefix with the same other conditions. Rules are tried in order and the first hit wins, so these are dead config.
 */
import { asArray, asNumber, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import type { Report } from './report';

/**
 * Go's omitempty view of a value: empty strings, zeros, false, empty lists and maps carry no meaning. `skip` leaves
 * out one key of this object (not of those inside it).
 */
function canonical(value: unknown, skip?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => canonical(item));
    return items.length === 0 ? undefined : items;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      if (k === skip) continue;
      const v = canonical((value as Json)[k]);
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  if (value === null || value === '' || value === 0 || value === false) return undefined;
  return value;
}

/**
 * The identity of a match for duplicate detection; the match's `name` is a label, not a condition. (Skipped in
 * place rather than by object rest, which V8 runs slowly.)
 */
function matchKey(match: unknown): string {
  const m = asRecord(match);
  if (m === undefined) return 'null';
  return JSON.stringify(canonical(m, 'name') ?? {});
}

/**
 * A cheap stand-in for matchKey: it reads only uri's exact, prefix and regex strings, which the canonical form keeps
 * as they are (and drops when empty), so equal keys always have equal signatures (the converse need not hold). Only matches whose signatures meet
 * need their keys, which cost a sorted copy and a JSON text each.
 */
function matchSignature(match: unknown): string {
  const uri = asRecord(asRecord(match)?.uri);
  if (uri === undefined) return '';
  const part = (v: unknown): string => (typeof v === 'string' ? v : '');
  const [exact, prefix, regex] = [part(uri.exact), part(uri.prefix), part(uri.regex)];
  // A uri with none of them may vanish from the canonical form altogether, like an absent one.
  return exact === '' && prefix === '' && regex === '' ? '' : `${exact}\u0000${prefix}\u0000${regex}`;
}

interface KeptMatch {
  match: unknown;
  rule: number;
  /** matchKey(match), built when another match with the same signature comes. */
  key?: string;
}

const ruleName = (rule: Json, i: number, http: boolean): string => {
  const name = http ? (asString(rule.name) ?? '') : '';
  return name !== '' ? JSON.stringify(name) : `#${i}`;
};
const matchName = (match: unknown, j: number, http: boolean): string => {
  const name = http ? (asString(asRecord(match)?.name) ?? '') : '';
  return name !== '' ? JSON.stringify(name) : `#${j}`;
};

interface PrefixMatch {
  path: string;
  rule: string;
  match: string;
  prefix: string;
  port: number;
  method: string;
  authority: string;
  headers: Map<string, string>;
  queryParams: Map<string, string>;
  withoutHeaders: Map<string, string>;
}

/** `exact:<v>` or `prefix:<v>`, "" for regex or unset: the comparable form of a StringMatch. */
function exactOrPrefix(sm: unknown): string {
  const m = asRecord(sm);
  const exact = asString(m?.exact) ?? '';
  if (exact !== '') return `exact:${exact}`;
  const prefix = asString(m?.prefix) ?? '';
  return prefix !== '' ? `prefix:${prefix}` : '';
}

function stringMatchMap(v: unknown): Map<string, string> {
  return new Map(Object.entries(asRecord(v) ?? {}).map(([k, sm]) => [k, exactOrPrefix(sm)]));
}

function prefixMatch(rule: Json, i: number, match: unknown, j: number, path: string): PrefixMatch | undefined {
  const m = asRecord(match);
  const prefix = asString(asRecord(m?.uri)?.prefix) ?? '';
  if (m === undefined || prefix === '') return undefined;
  return {
    path,
    rule: ruleName(rule, i, true),
    match: matchName(match, j, true),
    prefix,
    port: asNumber(m.port) ?? 0,
    // A match without a method is compared as if it were GET, as istiod does.
    method: exactOrPrefix(m.method) || 'exact:GET',
    authority: exactOrPrefix(m.authority),
    headers: stringMatchMap(m.headers),
    queryParams: stringMatchMap(m.queryParams),
    withoutHeaders: stringMatchMap(m.withoutHeaders),
  };
}

function mapCovered(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const other = b.get(k);
    if (other === undefined || (v !== other && !v.startsWith(other))) return false;
  }
  return true;
}

/** Whether the earlier match `a` catches every request the later match `b` would. */
function covers(a: PrefixMatch, b: PrefixMatch): boolean {
  if (!b.prefix.startsWith(a.prefix) || a.port !== b.port) return false;
  if (a.method !== b.method && !a.method.startsWith(b.method)) return false;
  if (a.authority !== b.authority && !a.authority.startsWith(b.authority)) return false;
  return (
    mapCovered(a.headers, b.headers) &&
    mapCovered(a.queryParams, b.queryParams) &&
    mapCovered(a.withoutHeaders, b.withoutHeaders)
  );
}

function analyze(rules: unknown, section: 'http' | 'tcp' | 'tls', report: Report): void {
  const http = section === 'http';
  const list = asArray(rules);
  // The matches kept so far (not duplicates), by signature: no two have the same key.
  const kept = new Map<string, KeptMatch[]>();
  let catchAll = -1;
  const prefixMatches: PrefixMatch[] = [];
  list.forEach((entry, i) => {
    const rule = asRecord(entry);
    if (rule === undefined) return;
    const path = `spec.${section}[${i}]`;
    // Named only in warnings, which most objects have none of.
    const name = (): string => ruleName(rule, i, http);
    const matches = asArray(rule.match);
    if (matches.length === 0) {
      if (catchAll >= 0)
        report.warn(path, `virtualService rule ${name()} not used (only the last rule can have no matches)`);
      catchAll = i;
      return;
    }
    let duplicates = 0;
    matches.forEach((match, j) => {
      if (catchAll >= 0) {
        report.warn(path, `virtualService rule ${name()} not used (route without matches defined before)`);
        return;
      }
      const signature = matchSignature(match);
      const bucket = kept.get(signature);
      let key: string | undefined;
      let earlier: number | undefined;
      if (bucket !== undefined) {
        key = matchKey(match);
        for (const k of bucket) {
          k.key ??= matchKey(k.match);
          if (k.key === key) {
            earlier = k.rule;
            break;
          }
        }
      }
      if (earlier !== undefined) {
        const earlierRule = asRecord(list[earlier]) ?? {};
        report.warn(
          `${path}.match[${j}]`,
          `virtualService rule ${name()} match ${matchName(match, j, http)} is not used (duplicate/overlapping match in rule ${ruleName(earlierRule, earlier, http)})`,
        );
        duplicates++;
        return;
      }
      if (bucket !== undefined) bucket.push({ match, rule: i, key });
      else kept.set(signature, [{ match, rule: i }]);
      if (http) {
        const pm = prefixMatch(rule, i, match, j, `${path}.match[${j}]`);
        if (pm !== undefined) prefixMatches.push(pm);
      }
    });
    if (duplicates === matches.length)
      report.warn(path, `virtualService rule ${name()} not used (all matches used by prior rules)`);
  });

  for (let a = 0; a < prefixMatches.length; a++) {
    for (let b = a + 1; b < prefixMatches.length; b++) {
      const earlier = prefixMatches[a] as PrefixMatch;
      const later = prefixMatches[b] as PrefixMatch;
      if (later.prefix === earlier.prefix || !covers(earlier, later)) continue;
      report.warn(
        later.path,
        `virtualService rule ${later.rule} match ${later.match} of prefix ${later.prefix} is not used (duplicate/overlapping match in rule ${earlier.match} of prefix ${earlier.prefix} on ${earlier.rule})`,
      );
    }
  }
}

export function analyzeUnreachableRules(spec: Json, report: Report): void {
  analyze(spec.http, 'http', report);
  analyze(spec.tcp, 'tcp', report);
  analyze(spec.tls, 'tls', report);
}
