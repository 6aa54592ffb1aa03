import type { SourcePosition } from '../../yaml/source-locator';
import { parseYamlDocuments, YamlSyntaxError } from '../../yaml/yaml-documents';

/** One object to check, as written in its file. */
export interface SourceDocument {
  /** 1-based number of the YAML document in its file. */
  document: number;
  /** kubectl-style path of a `kind: List` item inside its document (`items[2]`); empty for a top-level object. */
  itemPath: string;
  value: unknown;
  /** Where the object starts. */
  position: SourcePosition;
  /** Where the field at a path of this object is written; the nearest written ancestor when it is absent. */
  locate(path: string): SourcePosition;
}

export type LoadResult =
  | { ok: true; documents: SourceDocument[] }
  | { ok: false; line: number; column: number; message: string };

/**
 * Parser bounds for untrusted manifests. A Kubernetes object is at most about 1.5 MiB (etcd's limit), far below a
 * million nodes; a "billion laughs" document passes that bound after a few aliases and is refused at once.
 */
export const PARSE_LIMITS = { maxExpandedNodes: 1_000_000, maxAliases: 1000 } as const;

/** `kind: List` (what `kubectl get -o yaml` prints) and typed lists such as `VirtualServiceList`. */
export function isList(value: unknown): value is { kind: string; items: unknown[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items);
}

/** `items[0]` + `spec.host` → `items[0].spec.host`; the engine's `<root>` and the empty path name the object. */
export function joinPath(prefix: string, path: string): string {
  if (path === '' || path === '<root>') return prefix;
  if (prefix === '') return path;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/**
 * Parses a YAML or JSON text into the objects to check: every document of a multi-document stream, with the items
 * of `kind: List` documents (recursively) in place of the list. Empty documents are dropped. Anything that stops
 * the text from parsing (syntax, too many aliases, an alias bomb, nesting deeper than 100) fails the whole file
 * with the place it was found.
 */
export function loadDocuments(text: string, filename: string): LoadResult {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let parsed: ReturnType<typeof parseYamlDocuments>;
  try {
    parsed = parseYamlDocuments(source, { filename, ...PARSE_LIMITS });
  } catch (err) {
    if (err instanceof YamlSyntaxError) return { ok: false, ...err.position, message: `invalid YAML: ${err.message}` };
    throw err;
  }
  const documents: SourceDocument[] = [];
  for (const doc of parsed) {
    const add = (value: unknown, itemPath: string) => {
      if (isList(value)) {
        value.items.forEach((item, i) => {
          add(item, joinPath(itemPath, `items[${i}]`));
        });
        return;
      }
      documents.push({
        document: doc.index + 1,
        itemPath,
        value,
        position: doc.locate(itemPath),
        locate: (path) => doc.locate(joinPath(itemPath, path)),
      });
    };
    if (doc.value === null || doc.value === undefined) continue;
    add(doc.value, '');
  }
  return { ok: true, documents };
}
