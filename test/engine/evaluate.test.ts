import { config, judge, peerAuth } from '../support/engine';

const ids = (fs: Array<{ policy: string }>) => fs.map((f) => f.policy);

describe('actions', () => {
  it('denies with the default action and reports the path', () => {
    const v = judge(peerAuth('PERMISSIVE'));
    expect(v.allowed).toBe(false);
    expect(v.violations).toEqual([
      expect.objectContaining({ policy: 'mtls-mode', path: 'spec.mtls.mode', action: 'deny' }),
    ]);
  });

  it.each([
    ['warn', 'warnings'],
    ['audit', 'audits'],
  ] as const)('admits with action %s and files the finding under %s', (action, bucket) => {
    const v = judge(peerAuth('PERMISSIVE'), { config: config(`policies:\n  mtls-mode:\n    action: ${action}\n`) });
    expect(v.allowed).toBe(true);
    expect(ids(v[bucket])).toEqual(['mtls-mode']);
    expect(v.violations).toEqual([]);
  });

  it('skips a policy that is off', () => {
    const v = judge(peerAuth('PERMISSIVE'), { config: config('policies:\n  mtls-mode:\n    action: "off"\n') });
    expect(v).toMatchObject({ allowed: true, violations: [], warnings: [], audits: [] });
  });

  it('caps warning-severity findings at warn', () => {
    const dr = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'r', namespace: 'shop' },
      spec: { host: 'ratings', trafficPolicy: { tls: { mode: 'SIMPLE' } } },
    };
    const v = judge(dr);
    expect(v.allowed).toBe(true);
    expect(v.warnings).toEqual(
      expect.arrayContaining([expect.objectContaining({ policy: 'mtls-mode', action: 'warn' })]),
    );
  });

  it('warn-only enforcement admits everything and warns instead', () => {
    const v = judge(peerAuth('DISABLE'), { config: config('enforcement: warn-only\n') });
    expect(v.allowed).toBe(true);
    expect(ids(v.warnings)).toEqual(['mtls-mode']);
  });

  it('uses the parameters from configuration', () => {
    const strictRequired = config('policies:\n  mtls-mode:\n    params:\n      requireExplicitStrict: true\n');
    expect(judge(peerAuth('UNSET')).allowed).toBe(true);
    expect(judge(peerAuth('UNSET'), { config: strictRequired }).allowed).toBe(false);
  });
});

describe('namespace overrides', () => {
  const cfg = config(`
namespaceOverrides:
  - namespaces: ["sandbox-*", "dev"]
    policies:
      mtls-mode: warn
  - namespaces: ["sandbox-legacy"]
    policies:
      mtls-mode: "off"
`);

  it.each([
    ['sandbox-a', true, 1],
    ['dev', true, 1],
    ['sandbox-legacy', true, 1], // the first matching override wins
    ['prod', false, 0],
  ])('%s: allowed=%s, warnings=%i', (ns, allowed, warnings) => {
    const v = judge(peerAuth('PERMISSIVE', ns), { config: cfg });
    expect(v.allowed).toBe(allowed);
    expect(v.warnings).toHaveLength(warnings);
  });
});

describe('exemptions', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  const cfg = config(`
exemptions:
  - policies: [mtls-mode]
    namespaces: [legacy]
    reason: batch jobs without sidecars, OPS-1
    until: "2026-12-01T00:00:00Z"
  - policies: ["*"]
    namespaces: [old]
    labels: {team: data}
    reason: expired migration window
    until: "2026-11-01T00:00:00Z"
`);

  it('exempts by configuration and records who exempted it', () => {
    const v = judge(peerAuth('PERMISSIVE', 'legacy'), { config: cfg, now });
    expect(v.allowed).toBe(true);
    expect(v.exempted).toEqual([
      expect.objectContaining({
        policy: 'mtls-mode',
        reason: 'batch jobs without sidecars, OPS-1',
        exemptedBy: 'configuration (test.yaml:3)',
      }),
    ]);
  });

  it('stops counting an expired exemption and says when it expired', () => {
    const v = judge(peerAuth('PERMISSIVE', 'old', { labels: { team: 'data' } }), { config: cfg, now });
    expect(v.allowed).toBe(false);
    expect(v.violations[0]?.note).toBe('the exemption at test.yaml:7 expired at 2026-11-01T00:00:00.000Z');
  });

  it('does not exempt when labels do not match', () => {
    expect(judge(peerAuth('PERMISSIVE', 'old', { labels: { team: 'web' } }), { config: cfg, now }).exempted).toEqual(
      [],
    );
  });

  const annotated = (annotations: Record<string, string>) => peerAuth('PERMISSIVE', 'payments', { annotations });
  const valid = {
    'meshguard.io/exempt': 'route-weights, mtls-mode',
    'meshguard.io/exempt-until': '2026-11-30T00:00:00Z',
    'meshguard.io/exempt-reason': 'migration, OPS-2',
  };

  it('exempts by annotation within the allowed window', () => {
    const v = judge(annotated(valid), { now });
    expect(v.allowed).toBe(true);
    expect(v.exempted[0]).toMatchObject({ exemptedBy: 'annotation', reason: 'migration, OPS-2' });
  });

  it.each([
    [
      'expired',
      { 'meshguard.io/exempt-until': '2026-11-20T00:00:00Z' },
      'the exemption annotation expired at 2026-11-20T00:00:00.000Z',
    ],
    [
      'too far away',
      { 'meshguard.io/exempt-until': '2027-06-01T00:00:00Z' },
      /is more than 336h away \(latest allowed: 2026-12-06T12:00:00.000Z\)/,
    ],
    ['not RFC 3339', { 'meshguard.io/exempt-until': 'next week' }, /must be an RFC 3339 date/],
    ['without a reason', { 'meshguard.io/exempt-reason': ' ' }, /must say why/],
  ])('ignores an annotation that is %s, and says why', (_name, change, note) => {
    const v = judge(annotated({ ...valid, ...change }), { now });
    expect(v.allowed).toBe(false);
    expect(v.violations[0]?.note).toEqual(typeof note === 'string' ? note : expect.stringMatching(note));
  });

  it('ignores annotations when configuration turns them off, and then offers no help', () => {
    const v = judge(annotated(valid), { now, config: config('annotationExemptions:\n  enabled: false\n') });
    expect(v.allowed).toBe(false);
    expect(v.violations[0]?.note).toMatch(/turned off/);
    expect(v.exemptionHelp).toBeUndefined();
  });

  it('offers the annotation recipe for the denying policies', () => {
    expect(judge(peerAuth('PERMISSIVE'), { now }).exemptionHelp).toEqual({
      policies: ['mtls-mode'],
      latestUntil: '2026-12-06T12:00:00.000Z',
    });
  });
});

describe('ratcheting on UPDATE', () => {
  const before = peerAuth('PERMISSIVE');

  it('lets an object that already violated a policy be edited, as a warning', () => {
    const after = { ...before, metadata: { ...(before.metadata as object), labels: { edited: 'yes' } } };
    const v = judge(after, { operation: 'UPDATE', oldObject: before });
    expect(v.allowed).toBe(true);
    expect(v.warnings[0]).toMatchObject({
      policy: 'mtls-mode',
      note: 'already present before this update; allowed by ratcheting',
    });
  });

  it('still denies a new violation added by the update', () => {
    const after = {
      ...before,
      spec: {
        mtls: { mode: 'PERMISSIVE' },
        selector: { matchLabels: { app: 'a' } },
        portLevelMtls: { '8080': { mode: 'DISABLE' } },
      },
    };
    const v = judge(after, { operation: 'UPDATE', oldObject: before });
    expect(v.allowed).toBe(false);
    expect(v.violations.map((f) => f.path)).toEqual(['spec.portLevelMtls[8080].mode']);
  });

  it('denies a pre-existing violation when ratcheting is off', () => {
    expect(
      judge(before, { operation: 'UPDATE', oldObject: before, config: config('ratcheting: false\n') }).allowed,
    ).toBe(false);
  });
});

describe('schema policies from configuration', () => {
  const cfg = config(`
schemaPolicies:
  - id: require-team-label
    kinds: [{group: networking.istio.io, kind: VirtualService}]
    action: deny
    message: every VirtualService names its owning team
    hint: add metadata.labels.team
    schema:
      type: object
      required: [metadata]
      properties:
        metadata:
          type: object
          required: [labels]
          properties:
            labels: {type: object, required: [team]}
`);
  const vs = (labels: Record<string, string>) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'r', namespace: 'shop', labels },
    spec: { hosts: ['r'], http: [{ route: [{ destination: { host: 'r' } }] }] },
  });

  it('reports a violation like any policy, with the dotted path', () => {
    const v = judge(vs({ app: 'r' }), { config: cfg });
    expect(v.violations).toEqual([
      expect.objectContaining({
        policy: 'require-team-label',
        path: 'metadata.labels.team',
        message: 'is required but missing; every VirtualService names its owning team',
        hint: 'add metadata.labels.team',
      }),
    ]);
  });

  it('admits a conforming object and ignores other kinds', () => {
    expect(judge(vs({ team: 'web' }), { config: cfg }).allowed).toBe(true);
    expect(judge(peerAuth('STRICT'), { config: cfg }).allowed).toBe(true);
  });
});

describe('several policies at once', () => {
  it('lists every violation of every policy', () => {
    const pa = {
      ...peerAuth('PERMISSIVE'),
      spec: { mtls: { mode: 'PERMISSIVE' }, portLevelMtls: { '80': { mode: 'WHATEVER' } } },
    };
    const v = judge(pa);
    expect(ids(v.violations).sort()).toEqual(['mtls-mode', 'schema']);
  });
});
