import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, helmTemplate, only, renderNotes, runHelm, TOOLS_TIMEOUT_MS } from '../support/helm';
import { validateObjects } from '../support/kubernetes-schemas';

/** Every values file in charts/meshguard/ci (also what `ct lint` would pick up), plus the defaults. */
const VALUES_FILES = readdirSync(join(CHART_DIR, 'ci'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => `ci/${f}`);
const CASES: Array<[string, string[]]> = [['defaults', []], ...VALUES_FILES.map((f): [string, string[]] => [f, [f]])];

beforeAll(() => {
  runHelm(['version']); // fetch helm once, outside any single test's timeout
}, TOOLS_TIMEOUT_MS);

test('the ci values files cover cert-manager on and off, an existing Secret, NetworkPolicy and ServiceMonitor', () => {
  expect(VALUES_FILES).toEqual(
    expect.arrayContaining([
      'ci/cert-manager-values.yaml',
      'ci/cert-manager-issuer-values.yaml',
      'ci/existing-secret-values.yaml',
      'ci/network-policy-values.yaml',
      'ci/service-monitor-values.yaml',
    ]),
  );
});

describe.each(CASES)('values: %s', (_name, valuesFiles) => {
  test('helm lint --strict passes', () => {
    const r = runHelm(['lint', '--strict', CHART_DIR, ...valuesFiles.flatMap((f) => ['--values', join(CHART_DIR, f)])]);
    expect({ status: r.status, output: r.stdout + r.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('0 chart(s) failed'),
    });
  });

  test('every rendered object is valid against the Kubernetes API schemas (cert-manager and Prometheus CRs excepted)', () => {
    const objects = helmTemplate({ valuesFiles });
    const checks = validateObjects(objects);
    // 'no schema' is given only to the cert-manager and Prometheus Operator kinds of KINDS_WITHOUT_SCHEMA.
    expect(checks.filter((c) => c.result !== 'valid' && c.result !== 'no schema')).toEqual([]);
    expect(objects.map((o) => o.kind)).toEqual(
      expect.arrayContaining(['Deployment', 'Service', 'ValidatingWebhookConfiguration', 'ConfigMap']),
    );
  });

  test('NOTES.txt renders and tells how to get out of trouble', () => {
    const notes = renderNotes({ valuesFiles });
    expect(notes).toMatch(/mode: PERMISSIVE/);
    expect(notes).toMatch(/kubectl label namespace NAME \S+=true/);
    expect(notes).toMatch(/kubectl delete validatingwebhookconfiguration \S+/);
    expect(notes).not.toMatch(/<no value>|%!/);
  });
});

describe('the offline validation is not a formality', () => {
  const objects = helmTemplate();
  const webhook = only(objects, 'ValidatingWebhookConfiguration');
  const deployment = only(objects, 'Deployment');

  test.each([
    [
      'a sideEffects value the API does not know',
      { ...webhook, webhooks: [{ ...(webhook.webhooks as object[])[0], sideEffects: 'Maybe' }] },
    ],
    [
      'a timeout given as a string',
      { ...webhook, webhooks: [{ ...(webhook.webhooks as object[])[0], timeoutSeconds: '5' }] },
    ],
    [
      'a caBundle that is not base64',
      { ...webhook, webhooks: [{ ...(webhook.webhooks as object[])[0], clientConfig: { caBundle: '%%%' } }] },
    ],
    [
      'a memory request that is not a quantity',
      {
        ...deployment,
        spec: {
          selector: {},
          template: {
            spec: { containers: [{ name: 'x', image: 'x', resources: { requests: { memory: '128 MiB' } } }] },
          },
        },
      },
    ],
  ])('it rejects %s', (_what, broken) => {
    const [check] = validateObjects([broken as typeof webhook]);
    expect(check?.result).not.toBe('valid');
  });

  test('an unknown kind is reported, not skipped', () => {
    const [check] = validateObjects([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }]);
    expect(check?.result).toMatch(/no kubernetes-models schema/);
  });
});
