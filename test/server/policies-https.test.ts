import { postJson } from '../support/https-client';
import { reviewFor } from '../support/review';
import { type Served, serve } from '../support/test-server';

interface ReviewBody {
  response: { allowed: boolean; status?: { code: number; message: string }; warnings?: string[] };
}

let t: Served;
beforeAll(async () => {
  // Configuration from a file, as the chart mounts it: a schema policy beside the built-in ones.
  t = await serve({
    configYaml: `
schemaPolicies:
  - id: require-team-label
    kinds: [{group: security.istio.io, kind: PeerAuthentication}]
    message: every PeerAuthentication names its owning team
    hint: add metadata.labels.team
    schema: {type: object, properties: {metadata: {type: object, required: [labels], properties: {labels: {type: object, required: [team]}}}}}
`,
  });
});
afterAll(async () => {
  await t.stop();
});

const validate = async (object: Record<string, unknown>) =>
  ((await postJson(`${t.url}/validate`, t.ca, reviewFor(object))).json() as ReviewBody).response;

it('lists the violations of two policies in one message, one per line, with the exemption recipe', async () => {
  const response = await validate({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default', namespace: 'payments' },
    spec: { mtls: { mode: 'PERMISSIVE' } },
  });
  expect(response.allowed).toBe(false);
  expect(response.status?.message.split('\n')).toEqual([
    'PeerAuthentication payments/default was rejected by meshguard (2 violations):',
    '[mtls-mode] spec.mtls.mode: mtls.mode is PERMISSIVE; only STRICT (or UNSET, inheriting) is allowed. Fix: set spec.mtls.mode: STRICT once every client has a sidecar; PERMISSIVE is a migration step only',
    '[require-team-label] metadata.labels: is required but missing; every PeerAuthentication names its owning team. Fix: add metadata.labels.team',
    expect.stringMatching(
      /^To request a time-boxed exemption, annotate the object: meshguard.io\/exempt=mtls-mode,require-team-label, meshguard.io\/exempt-until=<RFC 3339 date, at most \d{4}-.*Z>, meshguard.io\/exempt-reason=<why>$/,
    ),
  ]);
});

it('admits a warn-level finding and returns it as an AdmissionReview warning', async () => {
  const response = await validate({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'ratings', namespace: 'bookinfo' },
    spec: { host: 'ratings', trafficPolicy: { tls: { mode: 'SIMPLE' } } },
  });
  expect(response.allowed).toBe(true);
  expect(response.warnings).toEqual(
    expect.arrayContaining([
      expect.stringMatching(
        /^\[mtls-mode\] spec.trafficPolicy.tls.mode: tls.mode is SIMPLE towards in-mesh host ratings/,
      ),
    ]),
  );
  for (const w of response.warnings ?? []) expect(w.length).toBeLessThanOrEqual(256);
});
