import type { AdmissionRequest } from '../admission/types';

/**
 * The reachability probe (see src/cluster/failure-policy.ts): meshguard asks the API server for a server-side dry-run
 * create of a PeerAuthentication carrying this annotation, and answers it with a denial that repeats the nonce. The
 * API server returning that denial proves it can call meshguard through the webhook configuration.
 *
 * Only a dry run is ever denied this way, so the annotation never decides the fate of an object that would be
 * stored; a real create or update carrying it is judged like any other object.
 */
export const PROBE_ANNOTATION = 'meshguard.io/reachability-probe';
export const PROBE_GROUP = 'security.istio.io';
export const PROBE_KIND = 'PeerAuthentication';
const NONCE = /^[a-z0-9][a-z0-9-]{6,62}[a-z0-9]$/;

/** The probe's nonce when `req` is a reachability probe; undefined for every other review. */
export function probeNonce(req: AdmissionRequest): string | undefined {
  if (req.dryRun !== true || req.operation !== 'CREATE') return undefined;
  if (req.kind.group !== PROBE_GROUP || req.kind.kind !== PROBE_KIND) return undefined;
  const metadata = req.object?.metadata;
  if (metadata === null || typeof metadata !== 'object') return undefined;
  const annotations = (metadata as { annotations?: unknown }).annotations;
  if (annotations === null || typeof annotations !== 'object') return undefined;
  const nonce = (annotations as Record<string, unknown>)[PROBE_ANNOTATION];
  return typeof nonce === 'string' && NONCE.test(nonce) ? nonce : undefined;
}

export function probeDenialMessage(nonce: string): string {
  return `meshguard reachability probe ${nonce}: denied on purpose (a dry run that proves the API server reaches meshguard; nothing is stored)`;
}
