import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineConfig } from '../../config/engine-config';
import type { SchemaPolicyDefinition } from '../../config/types';
import type { EnforcementAction } from '../../engine/types';
import { packageRoot } from '../../package-root';
import { parseYamlDocuments } from '../../yaml/yaml-documents';
import { DOCUMENT_RULE, documentRuleMarkdown } from './document-rule';

/** What a report needs to say about a policy (SARIF rules, `meshguard explain`). */
export interface RuleInfo {
  id: string;
  /** One line. */
  summary: string;
  /** What it enforces: the README's section, or a schema policy's message. */
  description: string;
  /** Markdown: the whole README, or a schema policy's message and hint. */
  help: string;
  /** Plain text: how to fix (the README's section, a schema policy's hint), else the summary. */
  fix: string;
  /** The action in force (configured, else the policy's default). */
  action: EnforcementAction;
  source: 'built-in' | 'configuration';
}

/** `policies/<id>/README.md` as shipped with the package; undefined when the policy has none (yet). */
export function readPolicyReadme(id: string, root: string = packageRoot()): string | undefined {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) return undefined;
  try {
    return readFileSync(join(root, 'policies', id, 'README.md'), 'utf8');
  } catch {
    return undefined;
  }
}

/** `## Heading` → the text under it, up to the next `## `; keys lower-cased (`what it enforces`, `how to fix`). */
export function readmeSections(markdown: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (current !== undefined) sections.set(current, lines.join('\n').trim());
  };
  for (const line of markdown.split(/\r?\n/)) {
    const heading = /^##\s+(.+?)\s*$/.exec(line);
    if (heading) {
      flush();
      current = (heading[1] as string).toLowerCase();
      lines = [];
    } else lines.push(line);
  }
  flush();
  return sections;
}

/**
 * The schema policies a configuration file declares, with the message and hint the engine's policy objects do not
 * keep. Read after `readConfig` accepted the file, so the file is known to be valid.
 */
export function schemaPolicyDefinitions(configFile: string | undefined): SchemaPolicyDefinition[] {
  if (configFile === undefined) return [];
  const [doc] = parseYamlDocuments(readFileSync(configFile, 'utf8'), { filename: configFile }).filter(
    (d) => d.value != null,
  );
  const defs = (doc?.value as { schemaPolicies?: SchemaPolicyDefinition[] } | undefined)?.schemaPolicies;
  return Array.isArray(defs) ? defs : [];
}

export function schemaPolicyHelp(def: SchemaPolicyDefinition): string {
  return [
    `# ${def.id}`,
    '',
    def.summary ?? def.message,
    '',
    '## What it enforces',
    '',
    def.message,
    ...(def.hint ? ['', '## How to fix', '', def.hint] : []),
  ].join('\n');
}

/** One entry per policy in force, in evaluation order, then the `document` rule; READMEs read once per run. */
export function ruleInfos(
  config: EngineConfig,
  schemaPolicies: readonly SchemaPolicyDefinition[],
  root?: string,
): RuleInfo[] {
  const defs = new Map(schemaPolicies.map((d) => [d.id, d]));
  const rules: RuleInfo[] = config.policies.map(({ policy, action }) => {
    const def = defs.get(policy.id);
    if (def !== undefined) {
      return {
        id: def.id,
        summary: policy.summary,
        description: def.message,
        help: schemaPolicyHelp(def),
        fix: def.hint ?? def.message,
        action,
        source: 'configuration',
      };
    }
    const readme = readPolicyReadme(policy.id, root);
    const sections = readme ? readmeSections(readme) : new Map<string, string>();
    return {
      id: policy.id,
      summary: policy.summary,
      description: sections.get('what it enforces') || policy.summary,
      help: readme ?? policy.summary,
      fix: sections.get('how to fix') || policy.summary,
      action,
      source: 'built-in',
    };
  });
  rules.push({
    id: DOCUMENT_RULE.id,
    summary: DOCUMENT_RULE.summary,
    description: DOCUMENT_RULE.description,
    help: documentRuleMarkdown(),
    fix: DOCUMENT_RULE.help,
    action: 'deny',
    source: 'built-in',
  });
  return rules;
}
