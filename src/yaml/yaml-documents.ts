import {
  constructFromEvents,
  EVENT_ALIAS,
  EVENT_DOCUMENT,
  EVENT_MAPPING,
  EVENT_POP,
  EVENT_SCALAR,
  EVENT_SEQUENCE,
  type Event,
  getScalarValue,
  parseEvents,
  type ScalarEvent,
  YAMLException,
} from 'js-yaml';
import { LineIndex, pathTokens, type SourcePosition } from './source-locator';

export interface YamlDocument {
  /** 0-based index of the document in its file. */
  index: number;
  value: unknown;
  position: SourcePosition;
  /** Where the field at a kubectl-style path is written; the nearest written ancestor when it is absent. */
  locate(path: string): SourcePosition;
}

export class YamlSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: SourcePosition,
  ) {
    super(message);
  }
}

export interface YamlParseOptions {
  filename?: string;
  /** Most nodes a document may expand to once aliases are followed (billion-laughs guard). */
  maxExpandedNodes?: number;
  maxAliases?: number;
}

const SEP = '\u0000';

interface Frame {
  kind: 'map' | 'seq';
  path: string[];
  nextIndex: number;
  /** In a mapping, the key just read, waiting for its value. */
  pendingKey?: { key: string; offset: number };
}

/** Counts nodes with aliases expanded, stopping as soon as the limit is passed so the count itself stays cheap. */
function expandedSizeExceeds(root: unknown, limit: number): boolean {
  let count = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (++count > limit) return true;
    if (v !== null && typeof v === 'object') for (const child of Object.values(v)) stack.push(child);
  }
  return false;
}

/**
 * Parses a YAML (or JSON) text into documents that remember where each field was written. Safe for untrusted
 * input: the core schema only (no custom tags, no code), a bounded number of aliases, and a bounded expanded size.
 */
export function parseYamlDocuments(text: string, options: YamlParseOptions = {}): YamlDocument[] {
  const lines = new LineIndex(text);
  let events: Event[];
  let values: unknown[];
  try {
    events = parseEvents(text, { filename: options.filename, maxDepth: 100 });
    values = constructFromEvents(events, {
      source: text,
      filename: options.filename,
      maxAliases: options.maxAliases ?? 1000,
    });
  } catch (err) {
    if (err instanceof YAMLException) {
      const mark = (err as unknown as { mark?: { position: number } }).mark;
      const reason = (err as unknown as { reason?: string }).reason ?? err.message;
      throw new YamlSyntaxError(reason, mark ? lines.position(mark.position) : { line: 1, column: 1 });
    }
    throw err;
  }

  const docs: YamlDocument[] = [];
  let docIndex = -1;
  let offsets = new Map<string, number>();
  let docStart = 0;
  const stack: Frame[] = [];

  const finishDocument = () => {
    if (docIndex < 0) return;
    const index = offsets;
    const start = docStart;
    const value = values[docIndex];
    if (expandedSizeExceeds(value, options.maxExpandedNodes ?? 1_000_000)) {
      throw new YamlSyntaxError(
        `document ${docIndex + 1} expands to more than ${options.maxExpandedNodes ?? 1_000_000} nodes through aliases (a "billion laughs" document?)`,
        lines.position(start),
      );
    }
    docs.push({
      index: docIndex,
      value,
      position: lines.position(start),
      locate(path: string) {
        const tokens = pathTokens(path);
        for (let n = tokens.length; n > 0; n--) {
          const hit = index.get(tokens.slice(0, n).join(SEP));
          if (hit !== undefined) return lines.position(hit);
        }
        return lines.position(start);
      },
    });
  };

  /** The path of the node that starts now, and records where it starts. */
  const enterNode = (offset: number): string[] => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      docStart = offset;
      return [];
    }
    if (parent.kind === 'seq') {
      const path = [...parent.path, String(parent.nextIndex++)];
      offsets.set(path.join(SEP), offset);
      return path;
    }
    const pending = parent.pendingKey as { key: string; offset: number };
    parent.pendingKey = undefined;
    const path = [...parent.path, pending.key];
    // Point at the key: that is the line a person looks for ("replicas: x"), not the start of a nested block.
    offsets.set(path.join(SEP), pending.offset);
    return path;
  };

  for (const e of events) {
    switch (e.type) {
      case EVENT_DOCUMENT:
        finishDocument();
        docIndex++;
        offsets = new Map();
        stack.length = 0;
        break;
      case EVENT_MAPPING:
      case EVENT_SEQUENCE: {
        const path = enterNode(e.start);
        stack.push({ kind: e.type === EVENT_MAPPING ? 'map' : 'seq', path, nextIndex: 0 });
        break;
      }
      case EVENT_SCALAR:
      case EVENT_ALIAS: {
        const top = stack[stack.length - 1];
        const offset = e.type === EVENT_SCALAR ? (e as ScalarEvent).valueStart : e.anchorStart;
        if (top?.kind === 'map' && top.pendingKey === undefined) {
          const key = e.type === EVENT_SCALAR ? getScalarValue(text, e as ScalarEvent) : '*alias';
          top.pendingKey = { key, offset };
        } else {
          enterNode(offset);
        }
        break;
      }
      case EVENT_POP:
        stack.pop();
        break;
      default:
        break;
    }
  }
  finishDocument();
  return docs;
}
