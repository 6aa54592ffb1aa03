import { describeObject, findingLine } from '../../admission/verdict-message';
import type { LocatedFinding, ObjectResult } from './report';

/**
 * `spec.mtls.mode: mtls.mode is PERMISSIVE; ... Fix: ...`: the webhook's wording for a finding (`findingLine`),
 * without the `[policy]` prefix that the formats place themselves.
 */
export function findingBody(f: LocatedFinding): string {
  const line = findingLine({ ...f, action: f.action === 'error' ? 'deny' : f.action });
  const body = line.slice(`[${f.policy}] `.length);
  return f.path === '' ? body.replace(/^: /, '') : body;
}

/** `PeerAuthentication payments/default`, as in the webhook's messages; `document 3` when there is no kind. */
export function objectLabel(o: ObjectResult): string {
  if (o.kind === '') return `document ${o.source.document}`;
  return describeObject({
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.namespace,
    name: o.name || '<unnamed>',
  });
}

/** `file:line:col` of a finding. */
export function findingPlace(file: string, f: LocatedFinding): string {
  return `${file}:${f.line}:${f.column}`;
}
