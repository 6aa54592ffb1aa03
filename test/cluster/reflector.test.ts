import pino from 'pino';
import { ClusterIndex } from '../../src/cluster/cluster-index';
import { LiveClusterView } from '../../src/cluster/live-view';
import { Reflector } from '../../src/cluster/reflector';
import { RESOURCES } from '../../src/cluster/resources';
import { SourceError } from '../../src/cluster/source';
import { eventually, FakeSource } from './support/fake-source';
import { dr, gateway } from './support/objects';

const logger = pino({ level: 'silent' });
const FAST = { backoffMinMs: 5, backoffMaxMs: 20, absentRetryMs: 50, idleTimeoutMs: 5000, pageSize: 2, minWatchMs: 10 };

describe('Reflector: list, then watch, into the index', () => {
  let source: FakeSource;
  let index: ClusterIndex;
  let reflector: Reflector;
  const start = (tuning = {}) => {
    reflector = new Reflector(RESOURCES.DestinationRule, source, index, logger, { ...FAST, ...tuning });
    reflector.start();
  };
  beforeEach(() => {
    source = new FakeSource();
    index = new ClusterIndex();
  });
  afterEach(() => reflector.stop());

  it('lists every page, marks the kind synced, then applies ADDED, MODIFIED and DELETED events', async () => {
    for (let i = 0; i < 5; i++) source.put('destinationrules', dr('bookinfo', `r${i}`, `svc${i}`, ['v1']));
    expect(index.synced('DestinationRule')).toBe(false);
    start();
    await eventually(() => index.synced('DestinationRule'));
    expect(index.count('DestinationRule')).toBe(5);
    expect(source.lists).toEqual(['destinationrules@v1', 'destinationrules@v1+2', 'destinationrules@v1+4']);
    await eventually(() => source.openWatches === 1);

    source.put('destinationrules', dr('bookinfo', 'new', 'reviews', ['v2']));
    source.put('destinationrules', dr('bookinfo', 'r0', 'svc0', ['v1', 'v9']));
    source.remove('destinationrules', dr('bookinfo', 'r1', 'svc1'));
    expect(index.destinationRules('reviews.bookinfo.svc.cluster.local')).toHaveLength(1);
    expect(index.destinationRules('svc0.bookinfo.svc.cluster.local')[0]?.subsets).toEqual(['v1', 'v9']);
    expect(index.destinationRules('svc1.bookinfo.svc.cluster.local')).toEqual([]);
    expect(reflector.status()).toMatchObject({ phase: 'watching', synced: true, objects: 5, lists: 1, watches: 1 });
  });

  it('watches again from the last resourceVersion when the server ends a watch, bookmarks included', async () => {
    start();
    await eventually(() => source.openWatches === 1);
    source.put('destinationrules', dr('bookinfo', 'a', 'a'));
    source.bookmark('destinationrules');
    const last = source.watches.length;
    source.endWatches();
    await eventually(() => source.openWatches === 1 && source.watches.length === last + 1, 3000);
    const [first, second] = source.watches;
    expect(Number(second?.resourceVersion)).toBeGreaterThan(Number(first?.resourceVersion));
    expect(source.lists).toHaveLength(1);
  });

  it('relists after 410 Gone, dropping what was deleted while it could not see', async () => {
    source.put('destinationrules', dr('bookinfo', 'stays', 'a'));
    source.put('destinationrules', dr('bookinfo', 'goes', 'b'));
    start();
    await eventually(() => source.openWatches === 1);
    source.removeSilently('destinationrules', dr('bookinfo', 'goes', 'b'));
    source.putSilently('destinationrules', dr('bookinfo', 'arrives', 'c'));
    source.expire('destinationrules');
    await eventually(() => source.lists.length === 2 && source.openWatches === 1);
    expect(index.destinationRules('b.bookinfo.svc.cluster.local')).toEqual([]);
    expect(index.destinationRules('c.bookinfo.svc.cluster.local')).toHaveLength(1);
    expect(index.count('DestinationRule')).toBe(2);
  });

  it('falls back to an older served version, and treats a resource no version serves as synced and empty', async () => {
    source.served = { destinationrules: ['v1beta1'] };
    source.put('destinationrules', dr('bookinfo', 'a', 'a'));
    start();
    await eventually(() => index.synced('DestinationRule'));
    expect(source.lists).toEqual(['destinationrules@v1', 'destinationrules@v1beta1']);
    expect(reflector.status().path).toBe('/apis/networking.istio.io/v1beta1/destinationrules');
    await reflector.stop();

    const absent = new FakeSource();
    absent.served = { gateways: [] };
    index = new ClusterIndex();
    reflector = new Reflector(RESOURCES.Gateway, absent, index, logger, FAST);
    reflector.start();
    await eventually(() => index.synced('Gateway'));
    expect(reflector.status()).toMatchObject({ phase: 'absent', objects: 0 });
    // The CRD gets installed: the next look finds it.
    absent.served = {};
    absent.put('gateways', gateway('istio-ingress', 'public', ['*']));
    await eventually(() => index.count('Gateway') === 1, 3000);
  });

  it('keeps retrying a forbidden list with backoff, reporting the error, and syncs once allowed', async () => {
    let forbidden = true;
    source.failList = () => (forbidden ? new SourceError('destinationrules is forbidden', 403) : undefined);
    start();
    await eventually(() => source.lists.length >= 3);
    expect(index.synced('DestinationRule')).toBe(false);
    expect(reflector.status().lastError).toMatchObject({ status: 403, message: 'destinationrules is forbidden' });
    forbidden = false;
    await eventually(() => index.synced('DestinationRule'));
  });

  it('stops trusting a kind whose watch keeps failing, and trusts it again after the next list', async () => {
    start({ staleAfterMs: 30 });
    await eventually(() => source.openWatches === 1);
    // The API server goes away: watches end, lists and new watches fail.
    source.failWatch = () => new SourceError('connection refused');
    source.failList = () => new SourceError('connection refused');
    source.endWatches();
    await eventually(() => !index.synced('DestinationRule'), 3000);
    expect(reflector.status()).toMatchObject({ synced: false, phase: 'backoff' });
    source.failWatch = () => undefined;
    source.failList = () => undefined;
    await eventually(() => index.synced('DestinationRule'), 3000);
  });

  it('restarts a watch that stays silent too long (a half-open connection)', async () => {
    start({ idleTimeoutMs: 50 });
    await eventually(() => source.watches.length >= 3, 3000);
    expect(source.lists).toHaveLength(1);
  });
});

describe('LiveClusterView', () => {
  it('watches exactly the kinds asked for, and waits for their sync with a deadline', async () => {
    const source = new FakeSource();
    source.listDelayMs = 100;
    const view = new LiveClusterView({ source, logger, tuning: FAST });
    await view.setKinds(['DestinationRule', 'Gateway']);
    expect(await view.whenSynced(10)).toBe(false);
    expect(await view.whenSynced(2000)).toBe(true);
    expect(view.status()).toMatchObject({ synced: true, kinds: [{ kind: 'DestinationRule' }, { kind: 'Gateway' }] });

    source.put('gateways', gateway('a', 'gw', ['*']));
    await eventually(() => view.index.count('Gateway') === 1);
    await view.setKinds(['DestinationRule']);
    expect(view.index.count('Gateway')).toBe(0);
    expect(view.index.synced('Gateway')).toBe(false);
    expect(view.kinds).toEqual(['DestinationRule']);
    await view.stop();
    expect(source.openWatches).toBe(0);
  });
});
