import type { Verdict } from '../engine/types';
import type { AdmissionReviewRequest, AdmissionReviewResponse, AdmissionStatus } from './types';
import { denialMessage, sortFindings, warningLine } from './verdict-message';

/** Builds the AdmissionReview the API server expects back: same apiVersion and kind, the request's uid. */
export function reviewResponse(review: AdmissionReviewRequest, verdict: Verdict): AdmissionReviewResponse {
  const response: AdmissionReviewResponse['response'] = { uid: review.request.uid, allowed: verdict.allowed };
  if (verdict.handled) {
    if (!verdict.allowed) {
      response.status = {
        code: 403,
        reason: 'Forbidden',
        message: denialMessage(verdict.object, verdict.violations, verdict.exemptionHelp),
      };
    }
    if (verdict.warnings.length > 0) response.warnings = sortFindings(verdict.warnings).map(warningLine);
  }
  return { apiVersion: review.apiVersion, kind: 'AdmissionReview', response };
}

/** A refusal that is not a policy verdict (a probe, an internal error, a deadline), answered to the request's uid. */
export function refusalResponse(review: AdmissionReviewRequest, status: AdmissionStatus): AdmissionReviewResponse {
  return {
    apiVersion: review.apiVersion,
    kind: 'AdmissionReview',
    response: { uid: review.request.uid, allowed: false, status },
  };
}
