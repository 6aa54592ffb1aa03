import { policies } from '../../policies';
import type { ConfiguredPolicy, EngineConfig } from '../config/engine-config';
import { describeOverrideScope } from '../config/namespace-scope';
import { readConfig } from '../config/read-config';
import { DEFAULT_OPERATIONS } from '../engine/policy';
import { KindRegistry } from '../schema/kind-registry';
import { DOCUMENT_RULE, documentRuleMarkdown } from './check/document-rule';
import { readPolicyReadme, schemaPolicyDefinitions, schemaPolicyHelp } from './check/policy-docs';
import { policyRow } from './policies-list';

const json = (v: unknown) => JSON.stringify(v);

/** The settings in force for one policy: action, where it comes from, namespace overrides, parameters. */
export function effectiveSettings(configured: ConfiguredPolicy, config: EngineConfig, fromFile: boolean): string {
  const { policy, action, params } = configured;
  const row = policyRow(policy, 'built-in');
  const lines = ['## Effective settings', ''];
  const actionOrigin =
    !fromFile || action === policy.defaultAction ? 'default' : `configured; default ${policy.defaultAction}`;
  lines.push(`- action: \`${action}\` (${actionOrigin})`);
  if (config.enforcement === 'warn-only' && action === 'deny')
    lines.push('- enforcement is `warn-only`: denials are reported as warnings');
  for (const o of config.namespaceOverrides) {
    const a = o.policies[policy.id];
    if (a !== undefined) lines.push(`- ${describeOverrideScope(o)}: \`${a}\``); // meshguard: namespace labels (issue 7)
  }
  lines.push(`- kinds: ${row.kinds[0] === '*' ? 'every Istio kind meshguard serves' : row.kinds.join(', ')}`);
  lines.push(`- operations: ${(policy.operations ?? DEFAULT_OPERATIONS).join(', ')}`);
  const names = [...new Set([...Object.keys(policy.defaults), ...Object.keys(params)])];
  if (names.length === 0) lines.push('- parameters: none');
  else {
    lines.push('- parameters:');
    for (const name of names) {
      const value = params[name];
      const def = (policy.defaults as Record<string, unknown>)[name];
      const origin = json(value) === json(def) ? 'default' : `configured; default ${json(def)}`;
      lines.push(`  - \`${name}\`: \`${json(value)}\` (${origin})`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The text of `meshguard explain <id>`: the policy's README (what it enforces, why, how to fix, parameters) and
 * the settings in force. Schema policies declared in `--config` are explained from their message and hint.
 */
export function explainText(id: string, configFile: string | undefined): string {
  if (id === DOCUMENT_RULE.id && !policies.some((p) => p.id === id)) return documentRuleMarkdown();
  const config = readConfig(configFile, policies, KindRegistry.load());
  const configured = config.policies.find((c) => c.policy.id === id);
  if (configured === undefined) {
    const known = config.policies.map((c) => c.policy.id).join(', ');
    throw new Error(
      `unknown policy "${id}" (known: ${known}${configFile === undefined ? '; schema policies need --config' : ''})`,
    );
  }
  const schemaDef = schemaPolicyDefinitions(configFile).find((d) => d.id === id);
  let doc: string;
  if (schemaDef !== undefined) {
    doc = `${schemaPolicyHelp(schemaDef)}\n\n## Schema\n\n\`\`\`json\n${JSON.stringify(schemaDef.schema, null, 2)}\n\`\`\`\n`;
  } else {
    doc = readPolicyReadme(id) ?? `# ${id}\n\n${configured.policy.summary}\n\n(This policy has no README yet.)\n`;
  }
  return `${doc.trimEnd()}\n\n${effectiveSettings(configured, config, configFile !== undefined)}`;
}
