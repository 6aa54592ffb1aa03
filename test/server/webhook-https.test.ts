import { type HttpResult, httpGetText, httpsRequest, postJson } from '../support/https-client';
import { reviewFor } from '../support/review';
import { type Served, serve } from '../support/test-server';

let t: Served;
beforeAll(async () => {
  t = await serve({ bodyLimit: 256 * 1024 });
});
afterAll(async () => {
  await t.stop();
});

const validate = (body: unknown) => postJson(`${t.url}/validate`, t.ca, body);
const raw = (body: string | Buffer, contentType = 'application/json') =>
  httpsRequest(`${t.url}/validate`, { method: 'POST', ca: t.ca, headers: { 'content-type': contentType }, body });

const strictPa = {
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name: 'default', namespace: 'shop' },
  spec: { mtls: { mode: 'STRICT' } },
};
const brokenDr = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'reviews', namespace: 'shop' },
  spec: {
    host: 'reviews',
    trafficPolicy: { tls: { mode: 'MUTUALX' }, connectionPool: { tcp: { maxConnections: 'many' } } },
  },
};

const metricsText = () => httpGetText(t.server.metricsUrl as string);

describe('POST /validate over real HTTPS', () => {
  it('admits a valid object, echoing apiVersion, kind and uid', async () => {
    const review = reviewFor(strictPa);
    const res = await validate(review);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: review.request.uid, allowed: true },
    });
  });

  it('denies an invalid object with 403 and a message naming the object and every field', async () => {
    const review = reviewFor(brokenDr);
    const res = await validate(review);
    const body = res.json() as {
      response: { uid: string; allowed: boolean; status: { code: number; message: string } };
    };
    expect(res.status).toBe(200);
    expect(body.response.uid).toBe(review.request.uid);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.code).toBe(403);
    const lines = body.response.status.message.split('\n');
    expect(lines[0]).toBe('DestinationRule shop/reviews was rejected by meshguard (2 violations):');
    expect(lines).toContain(
      '[schema] spec.trafficPolicy.connectionPool.tcp.maxConnections: Invalid value: "string": spec.trafficPolicy.connectionPool.tcp.maxConnections in body must be of type integer: "string"',
    );
    expect(lines).toContain(
      '[schema] spec.trafficPolicy.tls.mode: Unsupported value: "MUTUALX": supported values: "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"',
    );
  });

  it('judges dry-run requests the same way', async () => {
    const res = await validate(reviewFor(brokenDr, 'CREATE', { dryRun: true }));
    expect((res.json() as { response: { allowed: boolean } }).response.allowed).toBe(false);
  });

  it('admits DELETE', async () => {
    const res = await validate(reviewFor(brokenDr, 'DELETE'));
    expect((res.json() as { response: { allowed: boolean } }).response.allowed).toBe(true);
  });

  it('answers a v1beta1 review in kind', async () => {
    const review = { ...reviewFor(strictPa), apiVersion: 'admission.k8s.io/v1beta1' };
    const body = (await validate(review)).json() as { apiVersion: string; response: { allowed: boolean } };
    expect(body.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(body.response.allowed).toBe(true);
  });

  it('admits and counts kinds it does not handle', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {},
    };
    const res = await validate(reviewFor(deployment));
    expect((res.json() as { response: { allowed: boolean } }).response.allowed).toBe(true);
    expect(await metricsText()).toMatch(
      /meshguard_admission_requests_total\{kind="Deployment",operation="CREATE",decision="unhandled"\} 1/,
    );
  });

  it('logs one info line per decision, without the object', async () => {
    const review = reviewFor(strictPa);
    await validate(review);
    const lines = t.logs.filter((l) => l.uid === review.request.uid);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      kind: 'PeerAuthentication',
      namespace: 'shop',
      name: 'default',
      operation: 'CREATE',
      allowed: true,
    });
    expect(typeof lines[0]?.ms).toBe('number');
    expect(JSON.stringify(lines[0])).not.toContain('STRICT');
  });
});

describe('bad input gets a 4xx JSON error and leaves the server healthy', () => {
  const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const withRequest = (request: Record<string, unknown>, rawObject?: string) => {
    const text = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
    return rawObject === undefined ? text : text.replace('"object":null', `"object":${rawObject}`);
  };
  const valid = reviewFor(strictPa).request as unknown as Record<string, unknown>;
  const cases: Array<[string, () => Promise<HttpResult>, number, RegExp]> = [
    ['non-JSON', () => raw('this is not json'), 400, /JSON/i],
    ['truncated JSON', () => raw(JSON.stringify(reviewFor(strictPa)).slice(0, 80)), 400, /JSON/i],
    ['empty body', () => raw(''), 400, /empty/i],
    [
      'wrong content type',
      () => raw('<review/>', 'application/xml'),
      415,
      /content-type must be application\/json \(got "application\/xml"\)/,
    ],
    ['oversized body', () => raw(JSON.stringify({ pad: 'x'.repeat(300 * 1024) })), 413, /too large/i],
    ['a JSON array', () => raw('[]'), 400, /AdmissionReview/],
    [
      'wrong kind',
      () => raw(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod' })),
      400,
      /kind must be "AdmissionReview"/,
    ],
    [
      'missing request',
      () => raw(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' })),
      400,
      /request is missing/,
    ],
    ['missing uid', () => raw(withRequest({ ...valid, uid: undefined })), 400, /request.uid/],
    ['missing object', () => raw(withRequest({ ...valid, object: undefined })), 400, /request.object is missing/],
    ['unknown operation', () => raw(withRequest({ ...valid, operation: 'PATCH' })), 400, /request.operation/],
    ['very deep nesting', () => raw(withRequest({ ...valid, object: null }, nested(5000))), 400, /nests deeper/],
    [
      '__proto__ key',
      () => raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","__proto__":{"admin":true}}`),
      400,
      /prototype/,
    ],
    ['constructor.prototype', () => raw('{"constructor":{"prototype":{"admin":true}}}'), 400, /prototype/],
    // Escaped spellings take the full scan: the fast path only skips bodies with neither the key nor a `\u`.
    [
      '__proto__ key spelled with escapes',
      () => raw('{"kind":"AdmissionReview","\\u005f\\u005fproto__":{"admin":true}}'),
      400,
      /prototype/,
    ],
    [
      'constructor key spelled with an escape',
      () => raw('{"\\u0063onstructor":{"prototype":{"admin":true}}}'),
      400,
      /prototype/,
    ],
    ['whitespace only', () => raw(' \n\t '), 400, /empty/i],
  ];

  it.each(cases)('%s', async (_name, send, status, message) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect((res.json() as { message: string }).message).toMatch(message);
  });

  it('judges a review whose body starts with a byte-order mark or mentions protocols, as before', async () => {
    // "protocol" contains "proto": the fast path must not mistake it for a forbidden key.
    const labelled = { ...brokenDr, metadata: { ...brokenDr.metadata, labels: { protocol: 'grpc' } } };
    for (const body of [`\ufeff${JSON.stringify(reviewFor(labelled))}`, JSON.stringify(reviewFor(labelled))]) {
      expect(body).toContain('protocol');
      const res = await raw(body);
      expect(res.status).toBe(200);
      expect((res.json() as { response: { allowed: boolean } }).response.allowed).toBe(false);
    }
  });

  it('does not echo a huge value back in its error', async () => {
    const res = await raw(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'x'.repeat(100_000) }));
    expect(res.status).toBe(400);
    expect((res.json() as { message: string }).message.length).toBeLessThan(200);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await httpsRequest(`${t.url}/nope`, { ca: t.ca });
    expect(res.status).toBe(404);
    expect((res.json() as { message: string }).message).toMatch(/POST \/validate/);
  });

  it('is still alive, ready and judging afterwards', async () => {
    expect((await httpsRequest(`${t.url}/healthz`, { ca: t.ca })).status).toBe(200);
    expect((await httpsRequest(`${t.url}/readyz`, { ca: t.ca })).status).toBe(200);
    const res = await validate(reviewFor(brokenDr));
    expect((res.json() as { response: { allowed: boolean } }).response.allowed).toBe(false);
    expect(await metricsText()).toMatch(/meshguard_request_errors_total\{reason="body_too_large"\} 1/);
    // Registered just after start-up, off the path to /readyz.
    expect(await metricsText()).toMatch(/^meshguard_process_cpu_seconds_total \d/m);
  });
});

describe('TLS', () => {
  it('refuses a client that does not trust the CA', async () => {
    await expect(httpsRequest(`${t.url}/healthz`, {})).rejects.toThrow(/self.signed|unable to (get|verify)/i);
  });
});
