import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import { durationSeconds, formatSeconds } from '../../src/policy-helpers/durations';
import { asNumber, asRecord, asRecords, type Json, specOf } from '../../src/policy-helpers/object-access';

interface Params {
  maxAttempts: number;
}

/** Float seconds from durationSeconds: compare with a nanosecond's tolerance so 3 × 0.1s fits 0.3s. */
const EPSILON = 1e-9;

/**
 * A route's retry settings as Istio applies them. `attempts` counts retries, not tries: the first try plus
 * `attempts` retries, each bounded by `perTryTimeout`. An explicit `retries` block without a positive `attempts`
 * disables retries (Istio's ConvertPolicy returns no policy), whatever else it sets.
 */
interface RetrySettings {
  attempts: number;
  attemptsSet: boolean;
  perTry: number | undefined;
}

function retrySettings(retries: Json): RetrySettings {
  const attempts = asNumber(retries.attempts);
  const perTry = durationSeconds(retries.perTryTimeout);
  return {
    attempts: attempts ?? 0,
    attemptsSet: attempts !== undefined,
    perTry: perTry && perTry > 0 ? perTry : undefined,
  };
}

/** `1 + 3 attempts = 4 tries × 5s = 20s`: the worst case the route can spend trying, backoff aside. */
function tryArithmetic(attempts: number, perTry: number): string {
  const tries = attempts + 1;
  return `1 + ${plural(attempts, 'attempt')} = ${tries} tries × ${formatSeconds(perTry)} = ${formatSeconds(tries * perTry)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A retries block that sets perTryTimeout or retryOn but no attempts: Istio disables retries, likely not the intent. */
function checkAttemptsMissing(retries: Json, settings: RetrySettings, base: string, params: Params): PolicyFinding[] {
  if (settings.attemptsSet) return [];
  const others = Object.keys(retries).sort();
  if (others.length === 0) return [];
  return [
    {
      path: `${base}.retries.attempts`,
      message: `attempts is not set, so Istio disables retries and ignores ${others.join(', ')}; set attempts (1 to ${params.maxAttempts}) or 0`,
      hint: 'set retries.attempts explicitly: a positive number to retry, or 0 to state that retries are off',
      severity: 'warning',
    },
  ];
}

function checkMaxAttempts(settings: RetrySettings, base: string, params: Params): PolicyFinding[] {
  if (settings.attempts <= params.maxAttempts) return [];
  return [
    {
      path: `${base}.retries.attempts`,
      message: `attempts is ${settings.attempts}; at most ${params.maxAttempts} (each retry adds load to a service that is already failing)`,
      hint: `lower retries.attempts to ${params.maxAttempts} or fewer`,
    },
  ];
}

function budgetHint(attempts: number, perTry: number, timeout: number): string {
  const tries = attempts + 1;
  // Rounded down to the millisecond, so the suggested value really fits.
  const fittingPerTry = Math.floor((timeout / tries) * 1000 + EPSILON) / 1000;
  const options = fittingPerTry >= 0.001 ? [`lower retries.perTryTimeout to ${formatSeconds(fittingPerTry)}`] : [];
  const fittingAttempts = Math.floor(timeout / perTry + EPSILON) - 1;
  if (fittingAttempts >= 1) options.push(`attempts to ${fittingAttempts}`);
  options.push(`or raise timeout to ${formatSeconds(tries * perTry)}`);
  return options.join(', ');
}

function checkBudget(settings: RetrySettings, timeout: number, base: string): PolicyFinding[] {
  const { attempts, perTry } = settings;
  if (perTry === undefined || (attempts + 1) * perTry <= timeout + EPSILON) return [];
  return [
    {
      path: `${base}.retries.perTryTimeout`,
      message: `${tryArithmetic(attempts, perTry)} exceeds the route timeout of ${formatSeconds(timeout)}; the tries must fit within it`,
      hint: budgetHint(attempts, perTry, timeout),
    },
  ];
}

function checkMissingTimeout(rule: Json, settings: RetrySettings, base: string): PolicyFinding[] {
  const { attempts, perTry } = settings;
  const found =
    rule.timeout === undefined ? 'no route timeout is set' : `timeout is ${String(rule.timeout)}, which disables it`;
  return [
    {
      path: `${base}.timeout`,
      message: `${found} while retries allow ${plural(attempts, 'attempt')}; retries need a route timeout as their overall deadline`,
      hint:
        perTry === undefined
          ? 'set a route timeout (e.g. timeout: 10s) and a retries.perTryTimeout that fits within it'
          : `set timeout to at least ${formatSeconds((attempts + 1) * perTry)} (${tryArithmetic(attempts, perTry)})`,
      severity: 'warning',
    },
  ];
}

function checkRule(rule: Json, base: string, params: Params): PolicyFinding[] {
  const retries = asRecord(rule.retries);
  if (retries === undefined) return []; // the mesh's default retry policy applies; nothing configured here
  const settings = retrySettings(retries);
  if (settings.attempts <= 0) return checkAttemptsMissing(retries, settings, base, params);
  const out = checkMaxAttempts(settings, base, params);
  const timeout = durationSeconds(rule.timeout);
  if (rule.timeout !== undefined && timeout === undefined) return out; // unparsable: the schema policy reports it
  if (timeout === undefined || timeout === 0) return [...out, ...checkMissingTimeout(rule, settings, base)];
  return [...out, ...checkBudget(settings, timeout, base)];
}

export default definePolicy<Params>({
  id: 'retry-timeout-budget',
  summary:
    'VirtualService retries fit within the route timeout, stay within a maximum number of attempts, and have a timeout.',
  appliesTo: [{ group: 'networking.istio.io', kind: 'VirtualService' }],
  defaultAction: 'deny',
  defaults: { maxAttempts: 5 },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxAttempts: { type: 'integer', minimum: 0, maximum: 100 },
    },
  },
  check(object, ctx) {
    return asRecords(specOf(object).http).flatMap((rule, i) => checkRule(rule, `spec.http[${i}]`, ctx.params));
  },
});
