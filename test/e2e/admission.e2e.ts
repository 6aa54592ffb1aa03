// meshguard behind a real kube-apiserver (built from Kubernetes' Go modules, see docs/e2e.md), with Istio's CRDs
// and the ValidatingWebhookConfiguration the chart renders, driven by a real kubectl. Every scenario runs in a
// namespace of its own and sets up what it needs, so any one of them can run alone (`npm run test:e2e -- -t ...`).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CheckResult, denialLine, meshguardCheck, warningLine } from './support/check';
import { type E2eEnvironment, startEnvironment, TAKES_EFFECT_TIMEOUT_MS, WEBHOOK_NAME } from './support/environment';
import { get, waitFor } from './support/processes';

const FIXTURES = 'test/e2e/fixtures';
const fixture = (name: string) => `${FIXTURES}/${name}`;
/** The tightened configuration of the ratcheting scenario. */
const ROUTE_WEIGHTS_DENY = join(__dirname, 'config/route-weights-deny.yaml');

const ENVIRONMENT_TIMEOUT_MS = 6 * 60_000;
const SCENARIO_TIMEOUT_MS = 3 * 60_000;

let env: E2eEnvironment;
let suiteStarted = 0;

beforeAll(async () => {
  suiteStarted = Date.now();
  env = await startEnvironment();
}, ENVIRONMENT_TIMEOUT_MS);

afterAll(async () => {
  if (!env) return;
  const t = env.timings;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  process.stderr.write(
    `e2e: control plane ready in ${s(t.controlPlaneMs)}, Istio CRDs established in ${s(t.crdsMs)}, ` +
      `meshguard and its webhook in force in ${s(t.webhookMs)}; all scenarios ${s(Date.now() - suiteStarted)}\n`,
  );
  await env.stop();
}, 60_000);

/** The one result `meshguard check` gives for a single-object file. */
function checkOne(file: string, namespace: string, config?: string): CheckResult {
  const results = meshguardCheck(file, { namespace, config });
  if (results.length !== 1) throw new Error(`${file}: expected one object, meshguard check found ${results.length}`);
  return results[0] as CheckResult;
}

/** kubectl's report of a denial by meshguard when creating from a file. */
const deniedOnCreate = (file: string) =>
  `Error from server (Forbidden): error when creating "${file}": admission webhook "${WEBHOOK_NAME}" denied the request: `;

/** Runs `action` and counts the reviews meshguard answered meanwhile (0: the request never reached it). */
async function reviewsDuring<T>(action: () => Promise<T>): Promise<{ result: T; reviews: number }> {
  const before = await env.meshguard.reviewsAnswered();
  const result = await action();
  return { result, reviews: (await env.meshguard.reviewsAnswered()) - before };
}

async function notFound(namespace: string, resource: string, name: string): Promise<boolean> {
  const r = await env.kubectl(['get', '-n', namespace, resource, name]);
  return r.code === 1 && r.stderr.includes('(NotFound)');
}

describe('meshguard behind a real kube-apiserver and kubectl', () => {
  test('the control plane is the release go.mod pins: kube-apiserver, etcd, and a kubectl of the same minor', async () => {
    const versions = JSON.parse(await env.kubectlOk(['version', '-o', 'json'])) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    expect(versions.serverVersion.gitVersion).toBe(env.cluster.binary.kubernetes);
    expect(versions.serverVersion.gitVersion).toMatch(/^v1\.33\./);
    expect(versions.clientVersion.gitVersion).toMatch(/^v1\.33\./);
    const etcd = JSON.parse((await get(`${env.cluster.etcdUrl}/version`)).body) as { etcdserver: string };
    expect(`v${etcd.etcdserver}`).toBe(env.cluster.binary.etcd);
  });

  test(
    'good objects of several kinds are created, each reviewed by meshguard',
    async () => {
      const ns = 'e2e-good';
      await env.createNamespace(ns);
      const files = readdirSync(join(__dirname, 'fixtures/good')).sort();
      expect(files.length).toBeGreaterThanOrEqual(8);
      // The fixtures are good for `meshguard check` too, read together (cross-object policies included).
      const offline = meshguardCheck(fixture('good/'), { namespace: ns });
      expect(offline.map((o) => ({ kind: o.kind, allowed: o.allowed, warnings: o.warnings }))).toEqual(
        offline.map((o) => ({ kind: o.kind, allowed: true, warnings: [] })),
      );
      expect(new Set(offline.map((o) => o.kind)).size).toBeGreaterThanOrEqual(7);

      const { result: r, reviews } = await reviewsDuring(() =>
        env.kubectl(['apply', '-n', ns, '-f', fixture('good/')]),
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const created = r.stdout.trim().split('\n');
      expect(created).toHaveLength(files.length);
      for (const line of created) expect(line).toMatch(/^[a-z]+\.[a-z.]+\.istio\.io\/[a-z-]+ created$/);
      expect(reviews).toBe(files.length);

      const kinds =
        'peerauthentications,destinationrules,virtualservices,gateways,authorizationpolicies,serviceentries,sidecars';
      const names = (await env.kubectlOk(['get', '-n', ns, kinds, '-o', 'name'])).trim().split('\n');
      expect(names).toHaveLength(files.length);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'a PERMISSIVE PeerAuthentication is rejected with kubectl Forbidden, the policy id and the field path',
    async () => {
      const ns = 'e2e-permissive';
      await env.createNamespace(ns);
      const file = fixture('denied/peerauthentication-permissive.yaml');
      const check = checkOne(file, ns);
      expect(check.violations.map((v) => `${v.policy} ${v.path}`)).toEqual(['mtls-mode spec.mtls.mode']);

      const r = await env.kubectl(['apply', '-n', ns, '-f', file]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `${deniedOnCreate(file)}PeerAuthentication ${ns}/legacy was rejected by meshguard (1 violation):\n` +
          '[mtls-mode] spec.mtls.mode: mtls.mode is PERMISSIVE; only STRICT (or UNSET, inheriting) is allowed.',
      );
      // The line kubectl shows is the one `meshguard check` gives for the same file.
      expect(r.stderr).toContain(denialLine(check.violations[0] as CheckResult['violations'][0]));
      expect(await notFound(ns, 'peerauthentication', 'legacy')).toBe(true);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'an object violating two policies gets both in one message',
    async () => {
      const ns = 'e2e-two-policies';
      await env.createNamespace(ns);
      const file = fixture('denied/destinationrule-two-policies.yaml');
      const check = checkOne(file, ns);
      expect(check.violations.map((v) => v.policy).sort()).toEqual(['circuit-breaker-bounds', 'mtls-mode']);

      const r = await env.kubectl(['apply', '-n', ns, '-f', file]);
      expect(r.code).toBe(1);
      expect(r.stderr.match(/Error from server/g)).toHaveLength(1);
      expect(r.stderr).toContain(
        `${deniedOnCreate(file)}DestinationRule ${ns}/payments was rejected by meshguard (2 violations):\n`,
      );
      expect(r.stderr).toContain('[circuit-breaker-bounds] spec.trafficPolicy.outlierDetection.maxEjectionPercent: ');
      expect(r.stderr).toContain('[mtls-mode] spec.trafficPolicy.tls.mode: ');
      for (const v of check.violations) expect(r.stderr).toContain(denialLine(v));
      expect(await notFound(ns, 'destinationrule', 'payments')).toBe(true);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'a warn-mode policy: the object is created and kubectl prints the Warning: lines',
    async () => {
      const ns = 'e2e-warn';
      await env.createNamespace(ns);
      const file = fixture('warned/virtualservice-uneven-weights.yaml');
      const check = checkOne(file, ns);
      expect(check.allowed).toBe(true);
      // Offline, the file alone is the cluster view, so vs-subset-defined also warns about the missing
      // DestinationRule; the webhook here runs without a cluster view. Compare the policy under test.
      const weightWarnings = check.warnings.filter((w) => w.policy === 'route-weights');
      expect(weightWarnings.map((w) => `${w.policy} ${w.action} ${w.path}`)).toEqual([
        'route-weights warn spec.http[0].route',
      ]);

      const r = await env.kubectl(['apply', '-n', ns, '-f', file]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('virtualservice.networking.istio.io/ratings created\n');
      expect(r.stderr).toBe(
        'Warning: [route-weights] spec.http[0].route: weights sum to 95 (90 + 5); with several destinations they must sum to 100\n',
      );
      expect(r.stderr).toBe(`Warning: ${warningLine(weightWarnings[0] as CheckResult['warnings'][0])}\n`);
      await env.kubectlOk(['get', '-n', ns, 'virtualservice', 'ratings']);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'kubectl apply --dry-run=server gets the same verdict and creates nothing',
    async () => {
      const ns = 'e2e-dry-run';
      await env.createNamespace(ns);

      // Denied: the same message as a real apply, and the dry run reached meshguard.
      const denied = fixture('denied/peerauthentication-permissive.yaml');
      const { result: dry, reviews } = await reviewsDuring(() =>
        env.kubectl(['apply', '--dry-run=server', '-n', ns, '-f', denied]),
      );
      expect(reviews).toBe(1);
      const real = await env.kubectl(['apply', '-n', ns, '-f', denied]);
      expect(dry.code).toBe(1);
      expect(dry.stderr).toContain(deniedOnCreate(denied));
      // Word for word, but for the latest exemption date the message offers, which moves with the clock.
      const sameDay = (text: string) => text.replace(/at most \d{4}-\d\d-\d\dT[\d:.]+Z/g, 'at most <date>');
      expect(sameDay(dry.stderr)).toBe(sameDay(real.stderr));

      // Warned: the warning, "(server dry run)", nothing stored.
      const warned = fixture('warned/virtualservice-uneven-weights.yaml');
      const w = await env.kubectl(['apply', '--dry-run=server', '-n', ns, '-f', warned]);
      expect(w.code).toBe(0);
      expect(w.stdout).toBe('virtualservice.networking.istio.io/ratings created (server dry run)\n');
      expect(w.stderr).toMatch(/^Warning: \[route-weights\] spec\.http\[0\]\.route: weights sum to 95/);
      expect(await notFound(ns, 'virtualservice', 'ratings')).toBe(true);

      // Allowed: "(server dry run)", nothing stored.
      const good = fixture('good/peerauthentication-strict.yaml');
      const g = await env.kubectl(['apply', '--dry-run=server', '-n', ns, '-f', good]);
      expect(g).toEqual({
        code: 0,
        stdout: 'peerauthentication.security.istio.io/default created (server dry run)\n',
        stderr: '',
      });
      expect(await notFound(ns, 'peerauthentication', 'default')).toBe(true);
      expect(await notFound(ns, 'peerauthentication', 'legacy')).toBe(true);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'UPDATE after a policy was tightened: ratcheting admits the edit of an old object, not making it worse',
    async () => {
      const ns = 'e2e-ratcheting';
      await env.createNamespace(ns);
      const v1 = fixture('ratcheting/virtualservice-v1.yaml');
      const created = await env.kubectl(['apply', '-n', ns, '-f', v1]);
      expect(created.code).toBe(0);
      expect(created.stdout).toBe('virtualservice.networking.istio.io/details created\n');
      expect(created.stderr).toContain('Warning: [route-weights] spec.http[1].route: weights sum to 95 (90 + 5)');

      // Tightened: route-weights from warn (its default) to deny. Live reload is a later feature: restart.
      await env.meshguard.restart(readFileSync(ROUTE_WEIGHTS_DENY, 'utf8'));
      try {
        await env.waitUntilEnforced();

        // A new object with the same mistake is denied now.
        const fresh = fixture('ratcheting/virtualservice-new.yaml');
        const freshCheck = checkOne(fresh, ns, ROUTE_WEIGHTS_DENY);
        expect(freshCheck.allowed).toBe(false);
        const n = await env.kubectl(['apply', '-n', ns, '-f', fresh]);
        expect(n.code).toBe(1);
        expect(n.stderr).toContain(
          `${deniedOnCreate(fresh)}VirtualService ${ns}/details-new was rejected by meshguard (1 violation):\n` +
            '[route-weights] spec.http[0].route: weights sum to 95 (90 + 5)',
        );

        // The old object can still be edited: its finding is the stored object's, so it is only a warning.
        const v2 = fixture('ratcheting/virtualservice-v2.yaml');
        const edited = await env.kubectl(['apply', '-n', ns, '-f', v2]);
        expect(edited.code).toBe(0);
        expect(edited.stdout).toBe('virtualservice.networking.istio.io/details configured\n');
        expect(edited.stderr).toBe(
          'Warning: [route-weights] spec.http[1].route: weights sum to 95 (90 + 5); with several destinations they must sum to 100\n',
        );
        expect(
          await env.kubectlOk(['get', '-n', ns, 'virtualservice', 'details', '-o', 'jsonpath={.spec.http[1].timeout}']),
        ).toBe('10s');

        // Made worse (a finding at a new path): denied, and only the new finding is the violation.
        const v3 = fixture('ratcheting/virtualservice-v3.yaml');
        const worse = await env.kubectl(['apply', '-n', ns, '-f', v3]);
        expect(worse.code).toBe(1);
        expect(worse.stderr).toContain('Error from server (Forbidden): error when applying patch:');
        expect(worse.stderr).toContain(
          `admission webhook "${WEBHOOK_NAME}" denied the request: VirtualService ${ns}/details was rejected by meshguard (1 violation):\n` +
            '[route-weights] spec.http[0].route: weights sum to 80 (40 + 40)',
        );
        // The old finding is still only a warning; the denial names the new one alone.
        expect(worse.stderr).toMatch(/^Warning: \[route-weights\] spec\.http\[1\]\.route: weights sum to 95/);
        expect(worse.stderr.slice(worse.stderr.indexOf('denied the request'))).not.toContain('spec.http[1]');
        expect(
          await env.kubectlOk([
            'get',
            '-n',
            ns,
            'virtualservice',
            'details',
            '-o',
            'jsonpath={.spec.http[0].route[*].weight}',
          ]),
        ).toBe('50 50');
      } finally {
        await env.meshguard.restart();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'DELETE of the deny-all baseline AuthorizationPolicy is rejected; an ordinary one is deleted',
    async () => {
      const ns = 'e2e-delete';
      await env.createNamespace(ns);
      await env.kubectlOk(['apply', '-n', ns, '-f', fixture('delete/')]);

      const baseline = await env.kubectl(['delete', '-n', ns, 'authorizationpolicy', 'allow-nothing']);
      expect(baseline.code).toBe(1);
      expect(baseline.stderr).toContain(
        `Error from server (Forbidden): admission webhook "${WEBHOOK_NAME}" denied the request: ` +
          `AuthorizationPolicy ${ns}/allow-nothing was rejected by meshguard (1 violation):\n[deny-all-default] spec: `,
      );
      await env.kubectlOk(['get', '-n', ns, 'authorizationpolicy', 'allow-nothing']);

      const ordinary = await env.kubectl(['delete', '-n', ns, 'authorizationpolicy', 'reviews-readers']);
      expect(ordinary).toEqual({
        code: 0,
        stdout: 'authorizationpolicy.security.istio.io "reviews-readers" deleted\n',
        stderr: '',
      });
      expect(await notFound(ns, 'authorizationpolicy', 'reviews-readers')).toBe(true);

      // The namespace controller's deletes never reach meshguard: the chart's matchConditions leave them out.
      const { result: asController, reviews } = await reviewsDuring(() =>
        env.kubectl([
          'delete',
          '-n',
          ns,
          'authorizationpolicy',
          'allow-nothing',
          '--as=system:serviceaccount:kube-system:namespace-controller',
        ]),
      );
      expect(asController.code).toBe(0);
      expect(asController.stdout).toBe('authorizationpolicy.security.istio.io "allow-nothing" deleted\n');
      expect(reviews).toBe(0);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'a namespace with the opt-out label, kube-system and the release namespace are not checked',
    async () => {
      const file = fixture('denied/peerauthentication-permissive.yaml');
      await env.createNamespace('e2e-opted-out', { 'meshguard.io/ignore': 'true' });
      await env.createNamespace('meshguard');
      for (const ns of ['e2e-opted-out', 'kube-system', 'meshguard']) {
        const { result, reviews } = await reviewsDuring(() => env.kubectl(['apply', '-n', ns, '-f', file]));
        expect({ ns, ...result, reviews }).toEqual({
          ns,
          code: 0,
          stdout: 'peerauthentication.security.istio.io/legacy created\n',
          stderr: '',
          reviews: 0,
        });
      }
      // The same object in an ordinary namespace is reviewed and denied.
      await env.createNamespace('e2e-not-opted-out', { 'meshguard.io/ignore': 'false' });
      const reviewed = await env.kubectl(['apply', '-n', 'e2e-not-opted-out', '-f', file]);
      expect(reviewed.code).toBe(1);
      expect(reviewed.stderr).toContain(deniedOnCreate(file));
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    "an object Istio's CRD schema rejects never reaches meshguard; the API server says what meshguard check says",
    async () => {
      const ns = 'e2e-schema';
      await env.createNamespace(ns);
      const file = fixture('schema/destinationrule-broken.yaml');
      const check = checkOne(file, ns);
      const schemaFindings = check.violations.filter((v) => v.policy === 'schema');
      expect(schemaFindings.map((v) => v.path).sort()).toEqual([
        'spec.trafficPolicy.loadBalancer.simple',
        'spec.trafficPolicy.outlierDetection.consecutive5xxErrors',
      ]);

      const { result: r, reviews } = await reviewsDuring(() => env.kubectl(['apply', '-n', ns, '-f', file]));
      expect(reviews).toBe(0);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toContain('admission webhook');
      expect(r.stderr).toContain('The DestinationRule "ratings" is invalid: ');
      // Each of the API server's errors is, word for word, a finding of meshguard's schema policy.
      // Besides them the API server notes that it skipped the CRD's CEL rules (the schema policy skips them too).
      const celSkipped =
        '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; ' +
        'correct the existing errors to complete validation';
      const apiserverErrors = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('* '))
        .map((l) => l.slice(2))
        .filter((l) => l !== celSkipped)
        .sort();
      expect(r.stderr).toContain(`* ${celSkipped}`);
      expect(apiserverErrors).toEqual(schemaFindings.map((v) => `${v.path}: ${v.message}`).sort());
      expect(await notFound(ns, 'destinationrule', 'ratings')).toBe(true);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    'meshguard stopped: failurePolicy Fail rejects with "failed calling webhook", Ignore admits; restarted, it enforces again',
    async () => {
      const ns = 'e2e-failure-policy';
      await env.createNamespace(ns);
      const good = fixture('good/peerauthentication-strict.yaml');
      const permissive = fixture('denied/peerauthentication-permissive.yaml');
      const url = env.meshguard.webhookUrl;
      await env.meshguard.stop();
      try {
        // Fail (the chart's default): even a good object is rejected, with the API server's error.
        const failed = await env.kubectl(['apply', '-n', ns, '-f', good]);
        expect(failed.code).toBe(1);
        expect(failed.stderr).toContain(
          `Error from server (InternalError): error when creating "${good}": Internal error occurred: ` +
            `failed calling webhook "${WEBHOOK_NAME}": failed to call webhook: Post "${url}?timeout=5s": ` +
            `dial tcp 127.0.0.1:${env.meshguard.port}: connect: connection refused`,
        );
        expect(await notFound(ns, 'peerauthentication', 'default')).toBe(true);

        // Ignore: the API server admits what it cannot have reviewed, even what meshguard would deny.
        await env.registerWebhook(['webhook.failurePolicy=Ignore']);
        await waitFor(
          'failurePolicy Ignore to take effect',
          async () => {
            const r = await env.kubectl(['apply', '--dry-run=server', '-n', ns, '-f', permissive]);
            return r.code === 0 ? true : undefined;
          },
          { timeoutMs: TAKES_EFFECT_TIMEOUT_MS, intervalMs: 500 },
        );
        const ignored = await env.kubectl(['apply', '-n', ns, '-f', permissive]);
        expect(ignored).toEqual({
          code: 0,
          stdout: 'peerauthentication.security.istio.io/legacy created\n',
          stderr: '',
        });
      } finally {
        await env.registerWebhook();
        await env.meshguard.start();
      }

      // Restarted, with failurePolicy Fail again: enforcement resumes.
      await env.waitUntilEnforced();
      const resumedNs = 'e2e-failure-policy-resumed';
      await env.createNamespace(resumedNs);
      const resumed = await env.kubectl(['apply', '-n', resumedNs, '-f', permissive]);
      expect(resumed.code).toBe(1);
      expect(resumed.stderr).toContain(
        `${deniedOnCreate(permissive)}PeerAuthentication ${resumedNs}/legacy was rejected by meshguard (1 violation):\n[mtls-mode] spec.mtls.mode: `,
      );
      const goodAgain = await env.kubectl(['apply', '-n', resumedNs, '-f', good]);
      expect(goodAgain.code).toBe(0);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
