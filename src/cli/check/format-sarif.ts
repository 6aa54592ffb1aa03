import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EnforcementAction } from '../../engine/types';
import { findingBody, objectLabel } from './describe';
import type { RuleInfo } from './policy-docs';
import type { CheckReport, FindingAction, InputError, LocatedFinding, ObjectResult } from './report';

export interface SarifOptions {
  /** One per policy in force (and the `document` rule): every result's ruleId is among them. */
  rules: readonly RuleInfo[];
  /** meshguard's version, for `tool.driver.version`. */
  version: string;
}

type Level = 'none' | 'note' | 'warning' | 'error';

const RULE_LEVEL: Record<EnforcementAction, Level> = { deny: 'error', warn: 'warning', audit: 'note', off: 'none' };
const RESULT_LEVEL: Record<FindingAction, Level> = { deny: 'error', error: 'error', warn: 'warning' };

/**
 * A file as a URI reference: relative paths stay relative (code scanning resolves them against the repository
 * root, so run meshguard from there), absolute paths become `file://` URIs, standard input `%3Cstdin%3E`.
 */
export function artifactUri(file: string): string {
  if (isAbsolute(file)) return pathToFileURL(file).href;
  return file.split('/').map(encodeURIComponent).join('/');
}

function physicalLocation(file: string, line?: number, column?: number) {
  return {
    artifactLocation: { uri: artifactUri(file) },
    ...(line !== undefined ? { region: { startLine: line, startColumn: column ?? 1 } } : {}),
  };
}

function result(file: string, o: ObjectResult, f: LocatedFinding, ruleIndex: Map<string, number>) {
  const index = ruleIndex.get(f.policy);
  return {
    ruleId: f.policy,
    ...(index !== undefined ? { ruleIndex: index } : {}),
    level: RESULT_LEVEL[f.action],
    message: { text: `${objectLabel(o)}: ${findingBody(f)}` },
    locations: [
      {
        physicalLocation: physicalLocation(file, f.line, f.column),
        ...(o.kind !== ''
          ? {
              logicalLocations: [
                { name: o.name, fullyQualifiedName: `${o.kind}/${o.namespace}/${o.name}`, kind: 'resource' },
              ],
            }
          : {}),
      },
    ],
  };
}

function notification(e: InputError) {
  return {
    level: 'error',
    message: { text: e.message },
    locations: [{ physicalLocation: physicalLocation(e.file, e.line, e.column) }],
  };
}

/**
 * SARIF 2.1.0, one run: a rule per policy (id, short and full description, help from its README) and a result per
 * finding with its file, line and column, so code-scanning views annotate the pull request. Inputs that could not
 * be read or parsed are tool execution notifications, and make the invocation unsuccessful.
 */
export function formatSarif(report: CheckReport, options: SarifOptions): string {
  const ruleIndex = new Map(options.rules.map((r, i) => [r.id, i]));
  const results = report.files.flatMap((file) =>
    file.objects.flatMap((o) => [...o.violations, ...o.warnings].map((f) => result(file.file, o, f, ruleIndex))),
  );
  const errors = report.files.flatMap((f) => (f.error ? [f.error] : []));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'meshguard',
            version: options.version,
            rules: options.rules.map((r) => ({
              id: r.id,
              shortDescription: { text: r.summary },
              fullDescription: { text: r.description },
              help: { text: r.fix, markdown: r.help },
              defaultConfiguration: { level: RULE_LEVEL[r.action], enabled: r.action !== 'off' },
              properties: { tags: ['istio', 'kubernetes'], source: r.source },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        invocations: [
          { executionSuccessful: errors.length === 0, toolExecutionNotifications: errors.map(notification) },
        ],
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
