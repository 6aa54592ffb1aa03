/** A PeerAuthentication in PERMISSIVE mode, the README's first example of what meshguard is for. */
export function sampleReview(): object {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: 'security.istio.io', version: 'v1', kind: 'PeerAuthentication' },
      resource: { group: 'security.istio.io', version: 'v1', resource: 'peerauthentications' },
      name: 'default',
      namespace: 'payments',
      operation: 'CREATE',
      userInfo: { username: 'alice' },
      object: {
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name: 'default', namespace: 'payments' },
        spec: { mtls: { mode: 'PERMISSIVEX' } },
      },
    },
  };
}

export function sampleReviewCurl(caFile: string, url: string): string {
  return `curl --cacert ${caFile} -H 'Content-Type: application/json' ${url}/validate -d '${JSON.stringify(sampleReview())}'`;
}
