import { runScript } from './run-script';

interface FuzzResult {
  seed: number;
  cases: number;
  outcomes: Record<string, number>;
  byMutation: Record<string, number>;
  problems: number;
  alive: boolean;
  healthz: number;
  memory: { heapGrowthMiB: number; secondHalfGrowthMiB: number } | string;
  passed: boolean;
  failures: string[];
  firstProblems: unknown[];
}

// The short run of `npm run fuzz` (the long one is in docs/operations.md): a fixed seed, so a failure here replays
// with FUZZ_SEED=20261122 FUZZ_ONLY=<case> npm run fuzz. FUZZ_SEED and FUZZ_COUNT override it.
const SEED = process.env.FUZZ_SEED ?? '20261122';
const COUNT = process.env.FUZZ_COUNT ?? '2000';

it(`${COUNT} fuzzed requests against the built server: no crash, no 5xx, only well-formed answers, heap back near its baseline`, async () => {
  const run = await runScript<FuzzResult>(
    'scripts/fuzz.mjs',
    { FUZZ_SEED: SEED, FUZZ_COUNT: COUNT },
    'FUZZ_RESULT_FILE',
    Number(COUNT) * 100 + 60_000,
  );
  const r = run.result;
  if (!r) throw new Error(`no result (exit ${run.code}):\n${run.output.slice(-5000)}`);
  expect({ problems: r.firstProblems, failures: r.failures }).toEqual({ problems: [], failures: [] });
  expect(r).toMatchObject({ cases: Number(COUNT), alive: true, healthz: 200, passed: true });
  expect(Object.keys(r.outcomes).filter((o) => /^5|error/.test(o))).toEqual([]);
  // Every family of mutation was exercised.
  expect(Object.keys(r.byMutation).sort()).toEqual(
    [
      'contentType',
      'deepNesting',
      'deleteField',
      'duplicateKey',
      'hugeArray',
      'hugeString',
      'invalidUtf8',
      'numbers',
      'oddBody',
      'oddHeaderFields',
      'oddUnicode',
      'protoKey',
      'raw',
      'swapKind',
      'truncated',
      'wrongType',
    ].sort(),
  );
  process.stderr.write(
    `fuzz: seed ${r.seed}, ${r.cases} cases: ${JSON.stringify(r.outcomes)}; memory ${JSON.stringify(r.memory)}\n`,
  );
  expect(typeof r.memory).toBe('object');
  expect(run.code).toBe(0);
}, 600_000);
