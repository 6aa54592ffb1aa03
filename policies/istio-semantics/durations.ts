/**
 * Durations as istiod reads them: the JSON string goes through Go's time.ParseDuration (the legacy jsonpb decoder
 * Istio uses), so `1h`, `1.5m` and `300ms` are all accepted; then agent.ValidateDuration requires at least 1ms and
 * millisecond precision.
 */
import { parseGoDuration } from '../../src/schema/go-duration';

const MS = 1_000_000n;
const SECOND = 1_000_000_000n;

export type ParsedDuration = { ok: true; nanos: bigint } | { ok: false; error: string };

export function parseDuration(value: unknown): ParsedDuration {
  if (typeof value !== 'string') return { ok: false, error: `bad Duration: ${JSON.stringify(value)} is not a string` };
  const parsed = parseGoDuration(value);
  return parsed.ok ? parsed : { ok: false, error: `bad Duration: ${parsed.error}` };
}

/** agent.ValidateDuration: at least 1ms, whole milliseconds. Undefined when valid. */
export function validateDuration(value: unknown): string | undefined {
  const d = parseDuration(value);
  if (!d.ok) return d.error;
  if (d.nanos < MS) return 'duration must be greater than 1ms';
  if (d.nanos % MS !== 0n) return 'only durations to ms precision are supported';
  return undefined;
}

/** True when the duration has a sub-second part (CORS max-age is sent to browsers in whole seconds). */
export function hasSubSecondPart(value: unknown): boolean {
  const d = parseDuration(value);
  return d.ok && d.nanos % SECOND !== 0n;
}

/** Whole milliseconds of a valid duration, for checks like "0s disables the timeout". */
export function durationMillis(value: unknown): number | undefined {
  const d = parseDuration(value);
  return d.ok ? Number(d.nanos / MS) : undefined;
}
