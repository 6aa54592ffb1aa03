import type { FastifyPluginCallback } from 'fastify';
import { parseAdmissionReview } from '../admission/parse-review';
import { refusalResponse, reviewResponse } from '../admission/review-response';
import type { AdmissionReviewRequest, AdmissionReviewResponse } from '../admission/types';
import { describeObject } from '../admission/verdict-message';
import { type EngineContext, evaluate } from '../engine/evaluate';
import type { ObjectRef, Verdict } from '../engine/types';
import type { AdmissionDecision, ServerMetrics } from './metrics';
import { probeDenialMessage, probeNonce } from './reachability-probe';

export interface DeadlineSettings {
  /** Milliseconds from the request's arrival; below the webhook's timeoutSeconds so meshguard answers first. */
  ms: number;
  /** The answer when the deadline passes before every policy ran (and none of those that ran denied). */
  action: 'deny' | 'allow';
}

export interface ValidateRouteOptions {
  engine: EngineContext;
  metrics: ServerMetrics;
  deadline?: DeadlineSettings;
  clock: () => number;
}

/**
 * The `kind` label of the request metrics. It comes from the request, so it is bounded: Istio kinds as they are, other
 * well-formed kind names (a Deployment sent by a misconfigured rule) up to a fixed number of distinct ones, and
 * `other` beyond that or for anything that is not a kind name. Without the bound, every odd value a caller sends
 * would become a time series kept for the life of the process (`npm run fuzz` found the heap growing).
 */
export class KindLabels {
  private readonly extra = new Set<string>();
  constructor(
    private readonly known: ReadonlySet<string>,
    private readonly maxExtra = 32,
  ) {}

  of(kind: string): string {
    if (this.known.has(kind) || this.extra.has(kind)) return kind;
    if (!/^[A-Z][A-Za-z0-9]{0,62}$/.test(kind) || this.extra.size >= this.maxExtra) return 'other';
    this.extra.add(kind);
    return kind;
  }
}

/**
 * Strings from the request, as logged: at most 256 characters, so that a megabyte-long name or kind (anyone who can
 * reach the port can send one; `npm run fuzz` does) costs a log line, not a megabyte of logs.
 */
export function clip(value: string, max = 256): string {
  return value.length <= max ? value : `${value.slice(0, max)}…(${value.length} chars)`;
}

function decisionOf(verdict: Verdict): AdmissionDecision {
  if (!verdict.handled) return 'unhandled';
  if (!verdict.allowed) return 'denied';
  return verdict.warnings.length > 0 ? 'warned' : 'allowed';
}

/** The answer and its audit reason when the deadline passed; the verdict's own answer otherwise. */
function answer(
  review: AdmissionReviewRequest,
  verdict: Verdict,
  deadline: DeadlineSettings | undefined,
): { response: AdmissionReviewResponse; verdict: Verdict; reason?: 'deadline' } {
  if (!verdict.handled || verdict.deadlineExceeded === undefined || deadline === undefined)
    return { response: reviewResponse(review, verdict), verdict };
  const { policiesEvaluated, policiesSkipped } = verdict.deadlineExceeded;
  const total = policiesEvaluated + policiesSkipped.length;
  const what = `meshguard's evaluation deadline (${deadline.ms} ms) passed after ${policiesEvaluated} of ${total} policies (not run: ${policiesSkipped.join(', ')})`;
  if (!verdict.allowed) {
    // What already ran found violations: those are denied whatever the configured action; say what was not checked.
    const response = reviewResponse(review, verdict);
    if (response.response.status) response.response.status.message += `\n(${what}; they were not checked)`;
    return { response, verdict };
  }
  if (deadline.action === 'allow') {
    const response = reviewResponse(review, verdict);
    response.response.warnings = [
      ...(response.response.warnings ?? []),
      `${what}; admitted without a full review, as configured (--on-deadline=allow)`,
    ];
    return { response, verdict };
  }
  return {
    response: refusalResponse(review, {
      code: 504,
      reason: 'Timeout',
      message: `${describeObject(verdict.object)} was not fully reviewed: ${what}. Denied, as configured (--on-deadline=deny); retry, and if it persists see meshguard's runbook (docs/operations.md)`,
    }),
    verdict: { ...verdict, allowed: false },
    reason: 'deadline',
  };
}

/** POST /validate: the AdmissionReview endpoint the API server calls. */
export const validateRoute: FastifyPluginCallback<ValidateRouteOptions> = (
  app,
  { engine, metrics, deadline, clock },
  done,
) => {
  const kindLabels = new KindLabels(new Set(engine.schemas.registry.kinds.map((k) => k.kind)));
  app.post('/validate', (request, reply) => {
    const started = process.hrtime.bigint();
    // The budget counts from the request's arrival (Fastify's onRequest), so a slow body or a queue counts too.
    const arrivedAt = clock() - reply.elapsedTime;
    const parsed = parseAdmissionReview(request.body);
    if (!parsed.ok) {
      metrics.errors.inc({ reason: 'invalid_review' });
      request.log.warn({ reason: clip(parsed.message, 1024) }, 'refused a malformed AdmissionReview');
      return reply.code(400).send({ error: 'Bad Request', message: parsed.message });
    }
    const review: AdmissionReviewRequest = parsed.review;
    const req = review.request;
    const user = clip(String(req.userInfo?.username ?? ''));
    const uid = clip(req.uid);
    const kindLabel = kindLabels.of(req.kind.kind);

    const nonce = probeNonce(req);
    if (nonce !== undefined) {
      metrics.requests.inc({ kind: kindLabel, operation: req.operation, decision: 'probe' });
      request.log.info({ uid, user, nonce, namespace: clip(req.namespace ?? '') }, 'answered a reachability probe');
      return reply.send(
        refusalResponse(review, { code: 403, reason: 'Forbidden', message: probeDenialMessage(nonce) }),
      );
    }

    const audit = (ref: ObjectRef | undefined) => ({
      uid,
      user,
      apiVersion: clip(ref?.apiVersion ?? `${req.kind.group}/${req.kind.version}`),
      kind: clip(req.kind.kind),
      namespace: clip(ref?.namespace ?? req.namespace ?? ''),
      name: clip(ref?.name ?? req.name ?? ''),
      operation: req.operation,
      dryRun: req.dryRun === true,
    });

    let evaluated: Verdict;
    try {
      evaluated = evaluate(
        {
          operation: req.operation,
          gvk: req.kind,
          object: req.object,
          oldObject: req.oldObject,
          namespace: req.namespace,
          name: req.name,
          dryRun: req.dryRun,
          userInfo: req.userInfo,
        },
        deadline === undefined ? engine : { ...engine, deadline: { at: arrivedAt + deadline.ms, clock } },
      );
    } catch (err) {
      // A bug in meshguard must not pass as an allowed object: fail closed, with a message that says what happened.
      metrics.errors.inc({ reason: 'evaluation_failed' });
      request.log.error(
        { ...audit(undefined), allowed: false, decision: 'denied', reason: 'internal_error', err },
        'admission denied: evaluation failed',
      );
      return reply.send(
        refusalResponse(review, {
          code: 500,
          reason: 'InternalError',
          message: 'meshguard could not evaluate this object (internal error); see its logs',
        }),
      );
    }
    const { response, verdict, reason } = answer(review, evaluated, deadline);
    const decision = decisionOf(verdict);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.requests.inc({ kind: kindLabel, operation: req.operation, decision });
    metrics.duration.observe({ kind: kindLabel, operation: req.operation, decision }, seconds);
    if (verdict.handled) {
      for (const f of [...verdict.violations, ...verdict.warnings, ...verdict.audits])
        metrics.findings.inc({ policy: f.policy, action: f.action });
      if (verdict.deadlineExceeded !== undefined && deadline !== undefined)
        metrics.deadlineExceeded.inc({ kind: kindLabel, action: verdict.allowed ? 'allow' : 'deny' });
    }
    const ms = Math.round(seconds * 1e6) / 1e3;
    if (verdict.handled && !verdict.allowed) {
      // The audit record of a denial, once per review: who asked, for which object, which policies said no. Never
      // the object itself (it may hold secrets in a JWT rule or a header match).
      request.log.info(
        {
          ...audit(verdict.object),
          allowed: false,
          decision,
          reason: reason ?? 'policy',
          policies: [...new Set(verdict.violations.map((v) => v.policy))].sort(),
          ...(verdict.deadlineExceeded ? { policiesNotRun: verdict.deadlineExceeded.policiesSkipped } : {}),
          ms,
        },
        'admission denied',
      );
    } else {
      request.log.info(
        {
          uid,
          kind: clip(req.kind.kind),
          namespace: clip(req.namespace ?? ''),
          name: clip(verdict.handled ? verdict.object.name : (req.name ?? '')),
          operation: req.operation,
          dryRun: req.dryRun === true,
          allowed: verdict.allowed,
          decision,
          ...(verdict.handled && verdict.deadlineExceeded
            ? { deadlineExceeded: true, policiesNotRun: verdict.deadlineExceeded.policiesSkipped }
            : {}),
          ms,
        },
        'admission decision',
      );
    }
    return reply.send(response);
  });
  done();
};
