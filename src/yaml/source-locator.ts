/** Line and column (both 1-based) of a place in a source text. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Turns character offsets into line/column with a binary search over line starts. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  position(offset: number): SourcePosition {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] as number) + 1 };
  }
}

/**
 * Splits a kubectl-style path (`spec.http[0].route[1]`, `metadata.labels[app.kubernetes.io/name]`) into the keys
 * and indices a document is indexed by, so findings can be traced back to the line that holds the field.
 */
export function pathTokens(path: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  let current = '';
  while (i < path.length) {
    const c = path[i] as string;
    if (c === '.') {
      if (current !== '') tokens.push(current);
      current = '';
      i++;
    } else if (c === '[') {
      if (current !== '') tokens.push(current);
      current = '';
      const end = path.indexOf(']', i);
      tokens.push(path.slice(i + 1, end < 0 ? path.length : end));
      i = end < 0 ? path.length : end + 1;
    } else {
      current += c;
      i++;
    }
  }
  if (current !== '') tokens.push(current);
  return tokens;
}
