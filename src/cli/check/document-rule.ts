/**
 * The id under which documents that cannot be checked are reported: not an object, no apiVersion or kind, an Istio
 * group with an unknown kind or version, a non-Istio kind under `--strict-kinds`. Not a policy: it cannot be
 * configured or exempted. It has a SARIF rule and `meshguard explain document`.
 */
export const DOCUMENT_RULE = {
  id: 'document',
  summary: 'Every document is a Kubernetes object of a kind meshguard can check.',
  description:
    'A document is reported when it is not a mapping, has no apiVersion or kind, names an Istio API group with a kind or version meshguard does not serve (the API server would answer "no matches for kind"), or, with --strict-kinds, is not an Istio kind at all.',
  help: 'Fix the apiVersion or kind the message names (the served kinds and versions are listed in it), move files that are not Kubernetes manifests out of the checked folders, or drop --strict-kinds to skip non-Istio kinds.',
};

/** What `meshguard explain document` prints and the SARIF rule's help. */
export function documentRuleMarkdown(): string {
  const r = DOCUMENT_RULE;
  return `# ${r.id}\n\n${r.summary} Not a policy: \`meshguard check\` reports it, with action \`error\`, for documents it cannot check; it cannot be configured or exempted.\n\n## What it enforces\n\n${r.description}\n\n## How to fix\n\n${r.help}\n`;
}
