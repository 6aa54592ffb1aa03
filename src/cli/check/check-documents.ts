import type { KubeObject } from '../../admission/types';
import { sortFindings } from '../../admission/verdict-message';
import type { ClusterView } from '../../cluster/types';
import type { EngineConfig } from '../../config/engine-config';
import { evaluate } from '../../engine/evaluate';
import type { JudgedFinding } from '../../engine/types';
import type { IstioSchemas } from '../../schema/istio-schemas';
import { parseApiVersion } from '../../schema/kind-registry';
import { DOCUMENT_RULE } from './document-rule';
import { type LoadResult, loadDocuments, type SourceDocument } from './load-documents';
import type { FileResult, LocatedFinding, ObjectResult } from './report';

/** Everything checking needs, loaded once per run and shared by every document. */
export interface CheckContext {
  schemas: IstioSchemas;
  config: EngineConfig;
  /** For objects without `metadata.namespace`. */
  namespace: string;
  /** Non-Istio documents are errors instead of being skipped. */
  strictKinds: boolean;
  /** One clock reading for the whole run, so exemption expiry is judged the same for every object. */
  now: Date;
  /** The other objects checked in the same run, for cross-object policies (src/cluster/from-files.ts). */
  cluster?: ClusterView;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a sequence';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return `a ${typeof value} (${text.length > 60 ? `${text.slice(0, 59)}…` : text})`;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function located(doc: SourceDocument, f: JudgedFinding, action: LocatedFinding['action']): LocatedFinding {
  const out: LocatedFinding = { policy: f.policy, action, path: f.path, message: f.message, ...doc.locate(f.path) };
  if (f.hint) out.hint = f.hint;
  if (f.note) out.note = f.note;
  return out;
}

/** Judges one document: skipped, invalid, or the engine's verdict with every finding placed in the file. */
export function checkDocument(file: string, doc: SourceDocument, ctx: CheckContext): ObjectResult {
  const value = doc.value;
  const object =
    value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as KubeObject) : undefined;
  const meta =
    object?.metadata !== null && typeof object?.metadata === 'object'
      ? (object.metadata as Record<string, unknown>)
      : {};
  const apiVersion = str(object?.apiVersion);
  const kind = str(object?.kind);
  const namespace = str(meta.namespace) || ctx.namespace;
  const base = {
    source: { file, document: doc.document, ...doc.position },
    apiVersion,
    kind,
    namespace,
    name: str(meta.name) || (str(meta.generateName) ? `${str(meta.generateName)}*` : ''),
  };
  const invalid = (path: string, message: string): ObjectResult => ({
    ...base,
    outcome: 'invalid',
    violations: [{ policy: DOCUMENT_RULE.id, action: 'error', path, message, ...doc.locate(path) }],
    warnings: [],
  });

  if (object === undefined)
    return invalid('', `expected a Kubernetes object (a mapping with apiVersion and kind), found ${typeName(value)}`);
  if (apiVersion === '') return invalid('apiVersion', 'not set; every Kubernetes object needs apiVersion and kind');
  if (kind === '') return invalid('kind', 'not set; every Kubernetes object needs apiVersion and kind');

  const { group, version } = parseApiVersion(apiVersion);
  const registry = ctx.schemas.registry;
  if (!registry.isIstioGroup(group)) {
    const reason = `${apiVersion} ${kind} is not an Istio kind`;
    if (ctx.strictKinds) return invalid('kind', `${reason}; --strict-kinds makes that an error`);
    return { ...base, outcome: 'skipped', violations: [], warnings: [], skipReason: reason };
  }

  const verdict = evaluate(
    { operation: 'CREATE', gvk: { group, version, kind }, object, namespace },
    { schemas: ctx.schemas, mode: 'offline', config: ctx.config, now: ctx.now, cluster: ctx.cluster },
  );
  if (!verdict.handled) {
    const kindKnown = registry.kinds.some((k) => k.group === group && k.kind === kind);
    return invalid(kindKnown ? 'apiVersion' : 'kind', verdict.reason);
  }
  const violations = sortFindings(verdict.violations).map((f) => located(doc, f, 'deny'));
  const warnings = sortFindings(verdict.warnings).map((f) => located(doc, f, 'warn'));
  return {
    ...base,
    name: verdict.object.name,
    outcome: !verdict.allowed ? 'denied' : warnings.length > 0 ? 'warned' : 'allowed',
    violations,
    warnings,
  };
}

/** Parses and checks one input. Pure apart from the engine: the caller reads the text. */
export function checkText(file: string, text: string, ctx: CheckContext): FileResult {
  return checkLoaded(file, loadDocuments(text, file), ctx);
}

/** The same for a text already parsed (check-command parses each file once, for the cluster view as well). */
export function checkLoaded(file: string, loaded: LoadResult, ctx: CheckContext): FileResult {
  if (!loaded.ok)
    return { file, objects: [], error: { file, line: loaded.line, column: loaded.column, message: loaded.message } };
  return { file, objects: loaded.documents.map((doc) => checkDocument(file, doc, ctx)) };
}
