import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { helmTemplate, only, REPO_ROOT, runHelm, TOOLS_TIMEOUT_MS } from '../support/helm';

const SCRIPT = join(REPO_ROOT, 'scripts/runtime-stage-check.mjs');

interface Stage {
  copies: Array<{ from: string; source: string; destination: string }>;
  env: Record<string, string>;
  user: string;
  npmCi: string[];
  entrypoint: string[];
  cmd: string[];
}

const { stage, examples } = JSON.parse(
  execFileSync(process.execPath, [SCRIPT, '--print-stage'], { encoding: 'utf8' }),
) as {
  stage: Stage;
  examples: Array<{ file: string; expect: string }>;
};

beforeAll(() => {
  runHelm(['version']);
}, TOOLS_TIMEOUT_MS);

test("the build stage writes the code caches under the runtime's NODE_OPTIONS and node flags (V8 refuses them otherwise)", () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  expect(stage.env.NODE_OPTIONS).toBeDefined();
  const [node, ...rest] = stage.entrypoint;
  expect(node).toBe('node');
  const flags = rest.slice(0, rest.indexOf('dist/src/cli/main.js'));
  expect(dockerfile).toContain(
    `RUN NODE_OPTIONS=${stage.env.NODE_OPTIONS} ${['node', ...flags].join(' ')} scripts/write-code-caches.mjs --current-only`,
  );
});

describe('the Dockerfile runtime stage', () => {
  test('production dependencies, the compiled code, the schemas and the policy READMEs (for explain), nothing else', () => {
    expect(stage.copies).toEqual([
      { from: 'context', source: 'package.json', destination: './package.json' },
      { from: 'context', source: 'package-lock.json', destination: './package-lock.json' },
      { from: 'build', source: 'dist', destination: './dist' },
      { from: 'build', source: 'schemas', destination: './schemas' },
      { from: 'build', source: 'policies', destination: './policies' },
    ]);
    expect(stage.npmCi.slice(0, 3)).toEqual(['npm', 'ci', '--omit=dev']);
  });

  test('a numeric non-root user, the server as entrypoint, reading its certificate where the chart mounts it', () => {
    expect(stage.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect([...stage.entrypoint, ...stage.cmd]).toEqual([
      'node',
      '--no-memory-reducer',
      'dist/src/cli/main.js',
      'serve',
    ]);
    const container = (
      only(helmTemplate(), 'Deployment').spec as {
        template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } };
      }
    ).template.spec.containers[0];
    const chartEnv = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
    expect(stage.env.MESHGUARD_TLS_CERT).toBe(chartEnv.MESHGUARD_TLS_CERT);
    expect(stage.env.MESHGUARD_TLS_KEY).toBe(chartEnv.MESHGUARD_TLS_KEY);
    const podSecurity = (
      only(helmTemplate(), 'Deployment').spec as {
        template: { spec: { securityContext: { runAsUser: number; runAsGroup: number } } };
      }
    ).template.spec.securityContext;
    expect(stage.user).toBe(`${podSecurity.runAsUser}:${podSecurity.runAsGroup}`);
  });

  test('deploy/examples has good and bad objects, each with its expected verdict', () => {
    expect(new Set(examples.map((e) => e.expect))).toEqual(new Set(['allowed', 'denied']));
    expect(examples.map((e) => e.file)).toEqual(
      expect.arrayContaining([
        'peerauthentication-strict.yaml',
        'peerauthentication-permissive.yaml',
        'destinationrule-circuit-breaker.yaml',
        'destinationrule-broken.yaml',
      ]),
    );
  });
});

test('reproduced in a clean folder, it starts, answers /readyz and reviews every example as expected', () => {
  if (!existsSync(join(REPO_ROOT, 'dist/src/cli/main.js')))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', timeout: 240_000 });
  const output = `${r.stdout}\n${r.stderr}`;
  expect({ status: r.status, output }).toEqual({
    status: 0,
    output: expect.stringContaining('runtime-stage-check: passed'),
  });
  expect(output).toContain('GET /readyz: 200');
  for (const { file, expect: verdict } of examples) expect(output).toContain(`POST /validate ${file}: ${verdict}`);
  expect(output).toContain('SIGTERM: exited 0');
}, 300_000);
