/**
 * Field paths in the form the API server and kubectl print them:
 * `spec.http[1].route[0].weight`, with map keys in brackets: `metadata.labels[app.kubernetes.io/name]`.
 */
export type PathSegment =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'key'; key: string };

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (s.kind === 'field') out += out === '' ? s.name : `.${s.name}`;
    else if (s.kind === 'index') out += `[${s.index}]`;
    else out += `[${s.key}]`;
  }
  return out === '' ? '<root>' : out;
}

export const field = (name: string): PathSegment => ({ kind: 'field', name });
export const index = (i: number): PathSegment => ({ kind: 'index', index: i });
export const key = (k: string): PathSegment => ({ kind: 'key', key: k });
