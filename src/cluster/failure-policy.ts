import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { PROBE_ANNOTATION, PROBE_GROUP, PROBE_KIND } from '../server/reachability-probe';
import type { KubeClient } from './kube-client';

export interface FailClosedOptions {
  client: KubeClient;
  /** The ValidatingWebhookConfiguration to switch (the chart's release full name). */
  webhookConfiguration: string;
  /** The webhook inside it (`validate.meshguard.io`). */
  webhookName: string;
  /** A namespace the webhook reviews, where the dry-run probe is sent; it must exist. */
  probeNamespace: string;
  logger: Logger;
  /** Reviews must be answerable before the API server is asked to send one. */
  isReady(): boolean;
  onProbe?(result: ProbeResult): void;
  /** Told whether the configuration was last seen at Fail. */
  onFailClosed?(failClosed: boolean): void;
  /** Backoff between failed attempts: from `retryMinMs`, doubling, up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /**
   * Once at Fail, look again this often: `helm upgrade` re-applies the chart's `Ignore`, and someone may have set it
   * by hand during an incident (then meshguard puts Fail back only after a new successful probe).
   */
  recheckMs?: number;
}

/** `reached`: the API server called meshguard and returned its denial; `admitted`: it did not (failed open). */
export type ProbeResult = 'reached' | 'admitted' | 'failed';

export type StepOutcome =
  | { state: 'not-ready' }
  | { state: 'fail-closed'; changed: boolean }
  | { state: 'waiting'; reason: string; hint?: string };

const API = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';

/**
 * The configuration's consent: meshguard switches it to Fail only while it carries this annotation set to "true"
 * (the chart sets it with webhook.failClosedAfterProbe). Removing it, or `helm upgrade --set
 * webhook.failurePolicy=Ignore` (which renders the configuration without it), stops every replica, old ones
 * included, from putting Fail back.
 */
export const CONSENT_ANNOTATION = 'meshguard.io/fail-closed-after-probe';

interface WebhookConfiguration {
  metadata?: { resourceVersion?: string; annotations?: Record<string, string> };
  webhooks?: Array<{ name?: string; failurePolicy?: string }>;
}

/**
 * The safe failure policy, as istiod does it: the webhook is installed with `failurePolicy: Ignore`, so a meshguard
 * that the API server cannot reach (no endpoints yet, a wrong caBundle, a NetworkPolicy) never blocks Istio writes.
 * Once meshguard is ready it proves the path works end to end: it asks the API server for a server-side dry-run
 * create of a PeerAuthentication that meshguard always denies (reachability-probe.ts), and only when the API server
 * returns meshguard's denial, carrying the probe's nonce, does it patch its own webhook configuration to `Fail`.
 * From then on enforcement is fail-closed.
 */
export class FailurePolicyPromoter {
  private stopped = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private lastLogged = '';

  constructor(private readonly options: FailClosedOptions) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    const min = this.options.retryMinMs ?? 1000;
    const max = this.options.retryMaxMs ?? 30_000;
    const recheck = this.options.recheckMs ?? 60_000;
    let backoff = min;
    while (!this.stopped) {
      let outcome: StepOutcome;
      try {
        outcome = await this.step();
      } catch (err) {
        outcome = { state: 'waiting', reason: `the API server could not be reached: ${(err as Error).message}` };
      }
      this.report(outcome);
      let delay: number;
      if (outcome.state === 'fail-closed') {
        backoff = min;
        delay = recheck;
      } else {
        delay = outcome.state === 'not-ready' ? min : backoff;
        if (outcome.state === 'waiting') backoff = Math.min(max, backoff * 2);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One attempt: read the configuration; unless it is at Fail already, probe, then patch. */
  async step(): Promise<StepOutcome> {
    const { client, webhookConfiguration, webhookName } = this.options;
    if (!this.options.isReady()) return { state: 'not-ready' };
    const got = await client.request('GET', `${API}/${encodeURIComponent(webhookConfiguration)}`);
    if (got.status !== 200) {
      this.options.onFailClosed?.(false);
      return {
        state: 'waiting',
        reason: `cannot read ValidatingWebhookConfiguration ${webhookConfiguration}: HTTP ${got.status}: ${got.message}`,
        hint:
          got.status === 403
            ? 'meshguard needs get and patch on that one object (the chart grants them by resourceNames)'
            : undefined,
      };
    }
    const config = got.body as WebhookConfiguration;
    const index = (config.webhooks ?? []).findIndex((w) => w.name === webhookName);
    if (index < 0) {
      this.options.onFailClosed?.(false);
      return { state: 'waiting', reason: `${webhookConfiguration} has no webhook named ${webhookName}` };
    }
    const current = config.webhooks?.[index]?.failurePolicy;
    if (current === 'Fail') {
      this.options.onFailClosed?.(true);
      return { state: 'fail-closed', changed: false };
    }
    this.options.onFailClosed?.(false);
    if (config.metadata?.annotations?.[CONSENT_ANNOTATION] !== 'true') {
      return {
        state: 'waiting',
        reason: `${webhookConfiguration} is at failurePolicy ${current ?? 'unset'} and does not carry ${CONSENT_ANNOTATION}: "true", so meshguard leaves it as it is`,
        hint: 'the chart sets the annotation with webhook.failClosedAfterProbe; someone removed it to keep Ignore on purpose',
      };
    }

    const probe = await this.probe();
    this.options.onProbe?.(probe.result);
    if (probe.result !== 'reached') return { state: 'waiting', reason: probe.reason, hint: probe.hint };

    const patched = await client.request(
      'PATCH',
      `${API}/${encodeURIComponent(webhookConfiguration)}?fieldManager=meshguard`,
      [
        // The index must still name our webhook, and nobody may have changed the policy since it was read.
        { op: 'test', path: `/webhooks/${index}/name`, value: webhookName },
        { op: 'test', path: `/metadata/annotations/${CONSENT_ANNOTATION.replace('/', '~1')}`, value: 'true' },
        ...(config.metadata?.resourceVersion
          ? [{ op: 'test', path: '/metadata/resourceVersion', value: config.metadata.resourceVersion }]
          : []),
        { op: 'replace', path: `/webhooks/${index}/failurePolicy`, value: 'Fail' },
      ],
      'application/json-patch+json',
    );
    if (patched.status !== 200) {
      return {
        state: 'waiting',
        reason: `the probe reached meshguard but patching ${webhookConfiguration} failed: HTTP ${patched.status}: ${patched.message}`,
      };
    }
    this.options.onFailClosed?.(true);
    return { state: 'fail-closed', changed: true };
  }

  private async probe(): Promise<{ result: ProbeResult; reason: string; hint?: string }> {
    const { client, probeNamespace, webhookName } = this.options;
    const nonce = randomUUID();
    let last = { status: 0, message: '' };
    // v1 since Istio 1.22; v1beta1 for older control planes.
    for (const version of ['v1', 'v1beta1']) {
      const res = await client.request(
        'POST',
        `/apis/${PROBE_GROUP}/${version}/namespaces/${encodeURIComponent(probeNamespace)}/peerauthentications?dryRun=All&fieldManager=meshguard`,
        {
          apiVersion: `${PROBE_GROUP}/${version}`,
          kind: PROBE_KIND,
          metadata: {
            generateName: 'meshguard-reachability-probe-',
            namespace: probeNamespace,
            annotations: { [PROBE_ANNOTATION]: nonce },
          },
          // Selects no workload, should it ever be stored.
          spec: { selector: { matchLabels: { [PROBE_ANNOTATION]: nonce } } },
        },
      );
      last = res;
      if (res.status === 404 && version === 'v1' && !/namespaces? .* not found/i.test(res.message)) continue;
      if (res.status >= 200 && res.status < 300) {
        return {
          result: 'admitted',
          reason: `the dry-run probe in namespace ${probeNamespace} was admitted: the API server did not get meshguard's answer (failurePolicy Ignore hid the error)`,
          hint: `check that the Service has ready endpoints, the caBundle matches meshguard's certificate, no NetworkPolicy blocks the API server, and that namespace ${probeNamespace} is reviewed (not excluded, not labelled to opt out, no matchCondition skipping dry runs)`,
        };
      }
      if (res.message.includes(nonce) && res.message.includes(webhookName)) return { result: 'reached', reason: '' };
      break;
    }
    return {
      result: 'failed',
      reason: `the dry-run probe in namespace ${probeNamespace} failed: HTTP ${last.status}: ${last.message}`,
      hint:
        last.status === 403 && !last.message.includes('admission webhook')
          ? `meshguard needs create on peerauthentications.${PROBE_GROUP} in ${probeNamespace} (the chart grants it with a Role)`
          : last.status === 404
            ? `the namespace ${probeNamespace} or the PeerAuthentication resource (Istio's CRDs) does not exist`
            : undefined,
    };
  }

  /** Logs a change of state, not every retry. */
  private report(outcome: StepOutcome): void {
    const { logger, webhookConfiguration, webhookName } = this.options;
    const key = outcome.state === 'waiting' ? `waiting:${outcome.reason.replace(/[0-9a-f-]{36}/g, '')}` : outcome.state;
    if (outcome.state === 'fail-closed' && outcome.changed) {
      logger.info(
        { webhookConfiguration, webhook: webhookName },
        'the API server reaches meshguard (reachability probe denied as intended): failurePolicy set to Fail',
      );
    } else if (key !== this.lastLogged) {
      if (outcome.state === 'fail-closed')
        logger.info({ webhookConfiguration, webhook: webhookName }, 'webhook configuration is at failurePolicy Fail');
      else if (outcome.state === 'waiting')
        logger.warn(
          { webhookConfiguration, webhook: webhookName, reason: outcome.reason, hint: outcome.hint },
          'failurePolicy stays Ignore until the API server is seen reaching meshguard; retrying',
        );
    }
    this.lastLogged = key;
  }
}
