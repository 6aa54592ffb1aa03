import { parse } from '@bufbuild/cel';
import { celParseError } from '../telemetry';

/** What celParseError answered before its outcomes were kept: a fresh parse every time. */
function uncached(expression: string): string | undefined {
  try {
    parse(expression);
    return undefined;
  } catch (e) {
    return `must be a valid CEL expression, ${(e as Error).message}`;
  }
}

describe('access-log filter expressions parsed as CEL, outcomes kept by text', () => {
  const texts = [
    'response.code >= 400',
    'response.code >= 400 && request.path.startsWith("/api")',
    '',
    'response.code >=',
    'a.b(',
    "request.headers['x-debug'] == 'true'",
    `${'x && '.repeat(300)}true`,
  ];

  it.each(texts)('answers %j as a fresh parse does, the first time and the next', (text) => {
    const first = celParseError(text);
    expect(first).toBe(uncached(text));
    expect(celParseError(text)).toBe(first);
  });

  it('still answers correctly once more distinct texts have been seen than are kept', () => {
    for (let i = 0; i < 600; i++) expect(celParseError(`response.code >= ${i}`)).toBeUndefined();
    for (let i = 0; i < 600; i++) {
      const text = `response.code >= ${i} &&`;
      expect(celParseError(text)).toBe(uncached(text));
    }
  });
});
