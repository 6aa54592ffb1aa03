import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export type AdmissionDecision = 'allowed' | 'warned' | 'denied' | 'unhandled' | 'error';

/** One registry per server instance, so tests can run several servers in one process without sharing counts. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'kind' | 'operation' | 'decision'>;
  readonly duration: Histogram<'kind' | 'operation' | 'decision'>;
  readonly errors: Counter<'reason'>;
  readonly findings: Counter<'policy' | 'action'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
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
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'meshguard_' });
  }
}
