import type { FastifyPluginCallback } from 'fastify';
import { parseAdmissionReview } from '../admission/parse-review';
import { reviewResponse } from '../admission/review-response';
import type { AdmissionReviewRequest } from '../admission/types';
import { type EngineContext, evaluate } from '../engine/evaluate';
import type { Verdict } from '../engine/types';
import type { AdmissionDecision, ServerMetrics } from './metrics';

export interface ValidateRouteOptions {
  engine: EngineContext;
  metrics: ServerMetrics;
}

function decisionOf(verdict: Verdict): AdmissionDecision {
  if (!verdict.handled) return 'unhandled';
  if (!verdict.allowed) return 'denied';
  return verdict.warnings.length > 0 ? 'warned' : 'allowed';
}

/** POST /validate: the AdmissionReview endpoint the API server calls. */
export const validateRoute: FastifyPluginCallback<ValidateRouteOptions> = (app, { engine, metrics }, done) => {
  app.post('/validate', (request, reply) => {
    const started = process.hrtime.bigint();
    const parsed = parseAdmissionReview(request.body);
    if (!parsed.ok) {
      metrics.errors.inc({ reason: 'invalid_review' });
      request.log.warn({ reason: parsed.message }, 'refused a malformed AdmissionReview');
      return reply.code(400).send({ error: 'Bad Request', message: parsed.message });
    }
    const review: AdmissionReviewRequest = parsed.review;
    const req = review.request;
    let verdict: Verdict;
    try {
      verdict = evaluate(
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
        engine,
      );
    } catch (err) {
      // A bug in meshguard must not pass as an allowed object: fail closed, with a message that says what happened.
      metrics.errors.inc({ reason: 'evaluation_failed' });
      request.log.error({ err, uid: req.uid }, 'evaluation failed');
      return reply.send({
        apiVersion: review.apiVersion,
        kind: 'AdmissionReview',
        response: {
          uid: req.uid,
          allowed: false,
          status: {
            code: 500,
            reason: 'InternalError',
            message: 'meshguard could not evaluate this object (internal error); see its logs',
          },
        },
      });
    }
    const decision = decisionOf(verdict);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.requests.inc({ kind: req.kind.kind, operation: req.operation, decision });
    metrics.duration.observe({ kind: req.kind.kind, operation: req.operation, decision }, seconds);
    if (verdict.handled) {
      for (const f of [...verdict.violations, ...verdict.warnings, ...verdict.audits])
        metrics.findings.inc({ policy: f.policy, action: f.action });
    }
    request.log.info(
      {
        uid: req.uid,
        kind: req.kind.kind,
        namespace: req.namespace ?? '',
        name: verdict.handled ? verdict.object.name : (req.name ?? ''),
        operation: req.operation,
        dryRun: req.dryRun === true,
        allowed: verdict.allowed,
        decision,
        ms: Math.round(seconds * 1e6) / 1e3,
      },
      'admission decision',
    );
    return reply.send(reviewResponse(review, verdict));
  });
  done();
};
