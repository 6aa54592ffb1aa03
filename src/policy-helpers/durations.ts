import { parseGoDuration } from '../schema/go-duration';

/**
 * Seconds in an Istio duration field ("30s", "1.5m", "100ms"), as the API server's CEL `duration()` reads it;
 * undefined when absent or unparsable (the schema policy reports those).
 */
export function durationSeconds(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const parsed = parseGoDuration(v);
  return parsed.ok ? Number(parsed.nanos) / 1e9 : undefined;
}

/** Renders seconds back in the shortest familiar unit, for messages: 90 → "1m30s", 0.5 → "500ms". */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round((seconds % 60) * 1000) / 1000;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 || (h === 0 && m === 0) ? `${s}s` : ''}`;
}
