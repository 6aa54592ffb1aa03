import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root';

const root = packageRoot();

/**
 * generate-schemas.mjs splits each kind's validator into functions small enough for V8 to optimize. The split
 * must not change a single field error: scripts/diff-validators.mjs compares the generated validators with ones
 * compiled unsplit at run time. Run in a child process because the script is an ES module and loads the build.
 */
describe('split validators', () => {
  it('judge objects exactly as unsplit ones (webhook and offline)', () => {
    const out = execFileSync(
      process.execPath,
      [join(root, 'scripts/diff-validators.mjs'), '--mutants', '10', '--generated', '2', '--seed', '5'],
      { encoding: 'utf8' },
    );
    const summary = /(\d+) validations .*; (\d+) differences/.exec(out);
    expect(summary).not.toBeNull();
    expect(Number(summary?.[1])).toBeGreaterThan(20_000);
    expect(summary?.[2]).toBe('0');
  }, 120_000);

  // V8 optimizes no function of more than 60 KiB of bytecode, about 100 KB of this code; DestinationRule's single
  // function was 543 KB before the split.
  it.each(['validators.js', 'validators-strict.js'])('%s has no function near V8s optimization limit', (file) => {
    const source = readFileSync(join(root, 'schemas/generated', file), 'utf8');
    const starts = [...source.matchAll(/function validate\d+\(/g)].map((m) => m.index ?? 0);
    const ends = [...starts.slice(1), source.length];
    const largest = Math.max(...starts.map((start, i) => (ends[i] ?? start) - start));
    expect(starts.length).toBeGreaterThan(15);
    expect(largest).toBeLessThan(50_000);
  });
});
