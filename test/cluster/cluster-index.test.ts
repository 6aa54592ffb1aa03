import { ClusterIndex } from '../../src/cluster/cluster-index';
import { appliedDestinationRules } from '../../src/policy-helpers/destination-rules';
import {
  authorizationPolicy,
  dr,
  gateway,
  namespace,
  peerAuthentication,
  service,
  serviceEntry,
  vs,
} from './support/objects';

const REVIEWS = 'reviews.bookinfo.svc.cluster.local';

describe('ClusterIndex', () => {
  it('indexes DestinationRules by resolved host and keeps only the fields policies read', () => {
    const index = new ClusterIndex();
    index.upsert('DestinationRule', dr('bookinfo', 'reviews', 'reviews', ['v1', 'v2'], { exportTo: ['.'] }));
    const [entry] = index.destinationRules(REVIEWS);
    expect(entry).toEqual({
      namespace: 'bookinfo',
      name: 'reviews',
      host: REVIEWS,
      subsets: ['v1', 'v2'],
      exportTo: ['.'],
      workloadSelector: false,
    });
    expect(index.count('DestinationRule')).toBe(1);
  });

  it('moves an entry between index slots when an update changes its host, and forgets it on delete', () => {
    const index = new ClusterIndex();
    index.upsert('DestinationRule', dr('bookinfo', 'r', 'reviews', ['v1']));
    index.upsert('DestinationRule', dr('bookinfo', 'r', 'ratings', ['v1']));
    expect(index.destinationRules(REVIEWS)).toEqual([]);
    expect(index.destinationRules('ratings.bookinfo.svc.cluster.local')).toHaveLength(1);
    expect(index.count('DestinationRule')).toBe(1);
    expect(index.remove('DestinationRule', 'bookinfo/r')).toBe(true);
    expect(index.destinationRules('ratings.bookinfo.svc.cluster.local')).toEqual([]);
    expect(index.remove('DestinationRule', 'bookinfo/r')).toBe(false);
  });

  it('indexes the subsets VirtualServices route to by resolved host', () => {
    const index = new ClusterIndex();
    index.upsert(
      'VirtualService',
      vs('frontend', 'to-reviews', [
        { host: REVIEWS, subset: 'v2' },
        { host: 'ratings', subset: 'v1' },
        { host: 'details' },
      ]),
    );
    expect(index.virtualServicesRoutingTo(REVIEWS).map((v) => v.name)).toEqual(['to-reviews']);
    expect(index.virtualServicesRoutingTo('ratings.frontend.svc.cluster.local')).toHaveLength(1);
    expect(index.virtualServicesRoutingTo('details.frontend.svc.cluster.local')).toEqual([]);
    expect([...index.subsetRefHosts()].sort()).toEqual(['ratings.frontend.svc.cluster.local', REVIEWS]);
    index.upsert('VirtualService', vs('frontend', 'to-reviews', [{ host: REVIEWS }]));
    expect(index.virtualServicesRoutingTo(REVIEWS)).toEqual([]);
  });

  it('answers namespace labels, services, gateways, service entries, peer authentications and baselines', () => {
    const index = ClusterIndex.fromObjects([
      namespace('shop', { 'meshguard.io/profile': 'strict' }),
      service('shop', 'cart'),
      gateway('istio-ingress', 'public', ['*/shop.example.com']),
      serviceEntry('payments', 'api', ['API.payments.example.com']),
      peerAuthentication('shop', 'default'),
      peerAuthentication('shop', 'workload', { app: 'cart' }),
      authorizationPolicy('shop', 'deny-all', {}),
      authorizationPolicy('shop', 'allow-cart', { rules: [{ from: [{ source: { namespaces: ['x'] } }] }] }),
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ignored', namespace: 'shop' } },
    ]);
    expect(index.namespaceLabels('shop')).toMatchObject({ 'meshguard.io/profile': 'strict' });
    expect(index.namespaceLabels('nope')).toBeUndefined();
    expect(index.hasService('shop', 'cart')).toBe(true);
    expect(index.hasService('shop', 'other')).toBe(false);
    expect(index.gateway('istio-ingress', 'public')?.hosts).toEqual(['*/shop.example.com']);
    expect(index.serviceEntries('api.payments.example.com').map((s) => s.name)).toEqual(['api']);
    expect(index.namespaceWidePeerAuthentications('shop').map((p) => p.name)).toEqual(['default']);
    expect(index.denyAllBaselines('shop').map((p) => p.name)).toEqual(['deny-all']);
    expect(index.synced('Gateway')).toBe(true);
  });

  it('retainOnly drops what a relist no longer has', () => {
    const index = new ClusterIndex();
    index.upsert('Gateway', gateway('a', 'one', ['*']));
    index.upsert('Gateway', gateway('a', 'two', ['*']));
    expect(index.retainOnly('Gateway', new Set(['a/two']))).toBe(1);
    expect(index.gateway('a', 'one')).toBeUndefined();
    expect(index.gateway('a', 'two')).toBeDefined();
  });

  it('fromObjects puts namespace-less objects in the default namespace and can leave kinds unsynced', () => {
    const index = ClusterIndex.fromObjects([{ ...dr('x', 'reviews', 'reviews'), metadata: { name: 'reviews' } }], {
      defaultNamespace: 'bookinfo',
      incomplete: ['Service'],
    });
    expect(index.destinationRules(REVIEWS)).toHaveLength(1);
    expect(index.synced('Service')).toBe(false);
    expect(index.synced('DestinationRule')).toBe(true);
  });

  it('looks entries up in constant time: 10,000 rules cost no more per lookup than 10', () => {
    const time = (n: number) => {
      const index = new ClusterIndex();
      for (let i = 0; i < n; i++) index.upsert('DestinationRule', dr(`ns-${i % 100}`, `r-${i}`, `svc-${i}`, ['v1']));
      const hosts = Array.from(
        { length: 1000 },
        (_, i) => `svc-${(i * 7) % n}.ns-${((i * 7) % n) % 100}.svc.cluster.local`,
      );
      let found = 0;
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < 50; r++) for (const h of hosts) found += index.destinationRules(h).length;
      const ns = Number(process.hrtime.bigint() - t0) / (50 * hosts.length);
      expect(found).toBe(50 * hosts.length);
      return ns;
    };
    time(10);
    const small = time(10);
    const large = time(10_000);
    // Generous: a map lookup either way; a scan of 10,000 entries would be ~1000 times slower.
    expect(large).toBeLessThan(small * 20 + 2000);
  });
});

describe('appliedDestinationRules: Istio’s lookup order', () => {
  const index = ClusterIndex.fromObjects([
    dr('bookinfo', 'reviews', 'reviews', ['v1', 'v2']),
    dr('bookinfo', 'reviews-extra', REVIEWS, ['v3']),
    dr('frontend', 'reviews-local', REVIEWS, ['v1'], { exportTo: ['.'] }),
    dr('istio-system', 'fallback', '*.svc.cluster.local', ['stable']),
    dr('bookinfo', 'private', 'ratings', ['v1'], { exportTo: ['.'] }),
    dr('payments', 'api', 'api.payments.example.com', ['eu']),
    serviceEntry('payments', 'api', ['api.payments.example.com']),
    dr('elsewhere', 'stray', 'api.payments.example.com', ['us']),
  ]);

  it('uses the client namespace first', () => {
    const r = appliedDestinationRules(index, REVIEWS, 'frontend', 'istio-system');
    expect(r?.tier).toBe('client namespace');
    expect([...(r?.subsets ?? [])]).toEqual(['v1']);
  });

  it('then the service namespace, merging its rules for the host', () => {
    const r = appliedDestinationRules(index, REVIEWS, 'shop', 'istio-system');
    expect(r?.tier).toBe('service namespace');
    expect([...(r?.subsets ?? [])].sort()).toEqual(['v1', 'v2', 'v3']);
  });

  it('then the root namespace, with the most specific wildcard', () => {
    const r = appliedDestinationRules(index, 'ratings.bookinfo.svc.cluster.local', 'shop', 'istio-system');
    expect(r).toMatchObject({ tier: 'root namespace', host: '*.svc.cluster.local', namespace: 'istio-system' });
  });

  it('finds the service namespace of an external host through its ServiceEntry; other namespaces never apply', () => {
    const r = appliedDestinationRules(index, 'api.payments.example.com', 'shop', 'istio-system');
    expect(r).toMatchObject({ tier: 'service namespace', namespace: 'payments' });
    expect([...(r?.subsets ?? [])]).toEqual(['eu']);
  });

  it('can answer for the cluster as it would be after a change', () => {
    const removed = appliedDestinationRules(index, REVIEWS, 'frontend', 'istio-system', {
      namespace: 'frontend',
      name: 'reviews-local',
      replacement: undefined,
    });
    expect(removed?.tier).toBe('service namespace');
  });
});
