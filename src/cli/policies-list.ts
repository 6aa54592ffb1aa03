import { policies } from '../../policies';
import type { EngineConfig } from '../config/engine-config';
import { readConfig } from '../config/read-config';
import { type AnyPolicy, DEFAULT_OPERATIONS } from '../engine/policy';
import type { EnforcementAction } from '../engine/types';
import { KindRegistry } from '../schema/kind-registry';

/** One row of `meshguard policies`; also the `--output json` element (a stable shape, see docs/ci.md). */
export interface PolicyRow {
  id: string;
  /** `Kind.group` (kubectl's spelling), or `*` for every Istio kind meshguard serves. */
  kinds: string[];
  operations: string[];
  defaultAction: EnforcementAction;
  /** The action a `--config` file sets (present only with `--config`). */
  action?: EnforcementAction;
  summary: string;
  /** `configuration`: a schema policy declared in the `--config` file. */
  source: 'built-in' | 'configuration';
}

export function policyRow(policy: AnyPolicy, source: PolicyRow['source'], action?: EnforcementAction): PolicyRow {
  return {
    id: policy.id,
    kinds: policy.appliesTo === '*' ? ['*'] : policy.appliesTo.map((k) => `${k.kind}.${k.group}`),
    operations: [...(policy.operations ?? DEFAULT_OPERATIONS)],
    defaultAction: policy.defaultAction,
    ...(action !== undefined ? { action } : {}),
    summary: policy.summary,
    source,
  };
}

/** Built-in policies in registry order, then (with a configuration) its schema policies. */
export function policyRows(config?: EngineConfig): PolicyRow[] {
  if (config === undefined) return policies.map((p) => policyRow(p, 'built-in'));
  const builtIn = new Set(policies.map((p) => p.id));
  return config.policies.map((c) =>
    policyRow(c.policy, builtIn.has(c.policy.id) ? 'built-in' : 'configuration', c.action),
  );
}

const KINDS_WIDTH = 40;

/** `PeerAuthentication, DestinationRule`; a long list is cut to what fits, with the count of the rest. */
export function kindsText(row: PolicyRow): string {
  if (row.kinds[0] === '*') return 'all Istio kinds';
  const names = row.kinds.map((k) => k.split('.')[0] as string);
  const all = names.join(', ');
  if (all.length <= KINDS_WIDTH) return all;
  let shown = 0;
  while (
    shown < names.length &&
    names.slice(0, shown + 1).join(', ').length + `, +${names.length - shown - 1} more`.length <= KINDS_WIDTH
  )
    shown++;
  return `${[...names.slice(0, shown), `+${names.length - shown} more`].join(', ')}`;
}

/** A plain aligned table; the summary column is last and never cut, so nothing is lost on a narrow terminal. */
export function policiesTable(rows: readonly PolicyRow[]): string {
  const withAction = rows.some((r) => r.action !== undefined);
  const header = ['ID', 'KINDS', 'DEFAULT', ...(withAction ? ['ACTION'] : []), 'SUMMARY'];
  const body = rows.map((r) => [
    r.id,
    kindsText(r),
    r.defaultAction,
    ...(withAction ? [r.action ?? ''] : []),
    r.summary,
  ]);
  const table = [header, ...body];
  const widths = header.map((_, i) => Math.max(...table.map((cells) => (cells[i] as string).length)));
  return `${table
    .map((cells) =>
      cells
        .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** `meshguard policies`: the table, or JSON, on standard output. */
export function listPolicies(opts: { config?: string; output: 'text' | 'json' }): void {
  const config = opts.config === undefined ? undefined : readConfig(opts.config, policies, KindRegistry.load());
  const rows = policyRows(config);
  process.stdout.write(
    opts.output === 'json' ? `${JSON.stringify({ policies: rows }, null, 2)}\n` : policiesTable(rows),
  );
}
