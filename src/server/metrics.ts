import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from './prometheus';

/** Sampling interval of the event-loop delay monitor; Node's histogram includes it, and it is subtracted. */
const EVENT_LOOP_RESOLUTION_MS = 10;

/** `probe`: meshguard's own reachability probe (a dry run it always denies). */
export type AdmissionDecision = 'allowed' | 'warned' | 'denied' | 'unhandled' | 'error' | 'probe';

/** One registry per server instance, so tests can run several servers in one process without sharing counts. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'kind' | 'operation' | 'decision'>;
  readonly duration: Histogram<'kind' | 'operation' | 'decision'>;
  readonly errors: Counter<'reason'>;
  readonly findings: Counter<'policy' | 'action'>;
  readonly deadlineExceeded: Counter<'kind' | 'action'>;
  readonly certificateReloads: Counter<'result'>;
  readonly certificateNotAfter: Gauge;
  readonly reachabilityProbes: Counter<'result'>;
  readonly failClosed: Gauge;
  readonly draining: Gauge;
  readonly eventLoopDelay: Gauge<'quantile'>;
  /** Stops the event-loop monitor (at shutdown). */
  readonly stopMonitors: () => void;

  private processMetrics = false;

  constructor() {
    this.requests = new Counter({
      name: 'meshguard_admission_requests_total',
      help: 'Admission reviews answered, by object kind, operation and decision.',
      labelNames: ['kind', 'operation', 'decision'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'meshguard_admission_duration_seconds',
      help: 'Time from a review being parsed to its answer, by kind, operation and decision.',
      labelNames: ['kind', 'operation', 'decision'],
      // Evaluation takes microseconds to a few milliseconds; the top buckets are there to catch trouble.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
      registers: [this.registry],
    });
    this.errors = new Counter({
      name: 'meshguard_request_errors_total',
      help: 'Requests refused before evaluation (malformed JSON, wrong content type, oversized body, invalid review, ...), by reason.',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.findings = new Counter({
      name: 'meshguard_policy_findings_total',
      help: 'Findings reported, by policy and the action taken.',
      labelNames: ['policy', 'action'],
      registers: [this.registry],
    });
    this.deadlineExceeded = new Counter({
      name: 'meshguard_evaluation_deadline_exceeded_total',
      help: 'Reviews whose evaluation passed the deadline (--evaluation-deadline-ms) before every policy ran, by kind and the answer given (deny or allow, from --on-deadline).',
      labelNames: ['kind', 'action'],
      registers: [this.registry],
    });
    this.certificateReloads = new Counter({
      name: 'meshguard_tls_certificate_reloads_total',
      help: 'Attempts to load a changed serving certificate (and client CA) without a restart: result success, or failure (unreadable, unparsable, key not matching; the previous certificate stays).',
      labelNames: ['result'],
      registers: [this.registry],
    });
    this.certificateNotAfter = new Gauge({
      name: 'meshguard_tls_certificate_not_after_timestamp_seconds',
      help: 'Expiry (notAfter, Unix seconds) of the serving certificate in use.',
      registers: [this.registry],
    });
    this.reachabilityProbes = new Counter({
      name: 'meshguard_reachability_probes_total',
      help: 'Dry-run probes sent through the API server to prove it reaches meshguard, by result (reached, admitted, failed).',
      labelNames: ['result'],
      registers: [this.registry],
    });
    this.failClosed = new Gauge({
      name: 'meshguard_webhook_fail_closed',
      help: '1 once meshguard has seen its webhook configuration at failurePolicy Fail (after a successful reachability probe); 0 while it is Ignore or unknown, and always without --fail-closed-after-probe.',
      registers: [this.registry],
    });
    this.draining = new Gauge({
      name: 'meshguard_draining',
      help: '1 from the termination signal until exit: not ready, finishing in-flight reviews.',
      registers: [this.registry],
    });
    // How late a 10 ms timer fires: the wait a review's callback had before it could run. prom-client's
    // nodejs_eventloop_lag_* report the same histogram with the 10 ms interval left in; this one takes it out.
    const delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    delay.enable();
    this.stopMonitors = () => delay.disable();
    const lateBy = (ns: number) => Math.max(0, ns / 1e9 - EVENT_LOOP_RESOLUTION_MS / 1e3);
    this.eventLoopDelay = new Gauge({
      name: 'meshguard_event_loop_delay_seconds',
      help: 'Event-loop delay since the previous scrape (perf_hooks.monitorEventLoopDelay, 10 ms sampling taken out), by quantile (0.5, 0.9, 0.99, 1 = max).',
      labelNames: ['quantile'],
      registers: [this.registry],
      collect() {
        if (delay.count === 0) return;
        for (const q of [0.5, 0.9, 0.99]) this.set({ quantile: String(q) }, lateBy(delay.percentile(q * 100)));
        this.set({ quantile: '1' }, lateBy(delay.max));
        delay.reset();
      },
    });
  }

  /**
   * prom-client's process and Node.js metrics (`meshguard_process_*`, `meshguard_nodejs_*`). Registered once the
   * server is ready rather than in the constructor: loading them (OpenTelemetry's API comes with the CPU counter) is
   * about 30 ms that /readyz need not wait for. Their counters start at registration either way.
   */
  registerProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    const { collectDefaultMetrics } = require('./prometheus-defaults') as typeof import('./prometheus-defaults');
    collectDefaultMetrics({ register: this.registry, prefix: 'meshguard_' });
  }
}
