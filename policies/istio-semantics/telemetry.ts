/**
 * Telemetry (telemetry.istio.io): selection; metrics providers and tag overrides (a value for UPSERT, none for
 * REMOVE); tracing (one configuration and one provider are supported, sampling 0..100, custom tags with names and
 * values); access logging providers and filters that parse as CEL.
 */
import { parse as parseCel } from '@bufbuild/cel';
import { boundedMemo } from '../../src/bounded-memo';
import { asArray, asNumber, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { keyPath, type Report } from './report';
import { validatePolicySelection } from './target-refs';

function validateProviders(providers: unknown, path: string, report: Report): void {
  if (asArray(providers).some((p) => (asString(asRecord(p)?.name) ?? '') === '')) {
    report.error(path, 'providers.name may not be empty');
  }
}

/**
 * Parse outcomes by expression text. @bufbuild/cel's parser takes ~15 µs for even `response.code >= 400`, most of a
 * Telemetry review, while a mesh carries only a few distinct filter texts. Bounded (and long texts not kept) because
 * the texts come from admitted objects.
 */
export const celParseError = boundedMemo(parseOutcome, { maxEntries: 256, maxKeyLength: 1024 });

function parseOutcome(expression: string): string | undefined {
  try {
    parseCel(expression);
    return undefined;
  } catch (e) {
    return `must be a valid CEL expression, ${(e as Error).message}`;
  }
}

function validateMetrics(metrics: unknown, report: Report): void {
  asArray(metrics).forEach((entry, i) => {
    const m = asRecord(entry);
    if (m === undefined) return;
    const at = `spec.metrics[${i}]`;
    validateProviders(m.providers, `${at}.providers`, report);
    asArray(m.overrides).forEach((o, k) => {
      const op = `${at}.overrides[${k}]`;
      const override = asRecord(o);
      if (override === undefined) {
        report.error(op, 'tagOverrides may not be null');
        return;
      }
      for (const [tag, value] of Object.entries(asRecord(override.tagOverrides) ?? {})) {
        const tp = keyPath(`${op}.tagOverrides`, tag);
        if (tag === '') report.warn(tp, 'tagOverrides.name may not be empty');
        const t = asRecord(value);
        if (t === undefined) {
          report.error(tp, 'tagOverrides may not be null');
          continue;
        }
        const operation = asString(t.operation) ?? 'UPSERT';
        const v = asString(t.value) ?? '';
        if (operation === 'UPSERT' && v === '')
          report.error(tp, 'tagOverrides.value must be set when operation is UPSERT');
        if (operation === 'REMOVE' && v !== '')
          report.error(tp, 'tagOverrides.value may only be set when operation is UPSERT');
      }
      const match = asRecord(override.match);
      if (match !== undefined && match.customMetric != null && (asString(match.customMetric) ?? '') === '') {
        report.error(`${op}.match.customMetric`, 'customMetric may not be empty');
      }
    });
  });
}

function validateTracing(tracing: unknown, report: Report): void {
  const list = asArray(tracing);
  if (list.length > 1) report.warn('spec.tracing', 'multiple tracing is not currently supported');
  list.forEach((entry, i) => {
    const t = asRecord(entry);
    if (t === undefined) return;
    const at = `spec.tracing[${i}]`;
    if (asArray(t.providers).length > 1)
      report.warn(`${at}.providers`, 'multiple providers is not currently supported');
    validateProviders(t.providers, `${at}.providers`, report);
    const sampling = asNumber(t.randomSamplingPercentage) ?? 0;
    if (sampling < 0 || sampling > 100) {
      report.error(`${at}.randomSamplingPercentage`, 'randomSamplingPercentage must be in range [0.0, 100.0]');
    }
    for (const [name, value] of Object.entries(asRecord(t.customTags) ?? {})) {
      const tp = keyPath(`${at}.customTags`, name);
      if (name === '') report.error(tp, 'tag name may not be empty');
      const tag = asRecord(value);
      if (tag === undefined) {
        report.error(tp, `tag '${name}' may not have a nil value`);
        continue;
      }
      if (tag.literal != null && (asString(asRecord(tag.literal)?.value) ?? '') === '')
        report.error(`${tp}.literal`, 'literal tag value may not be empty');
      else if (tag.header != null && (asString(asRecord(tag.header)?.name) ?? '') === '')
        report.error(`${tp}.header`, 'header tag name may not be empty');
      else if (tag.environment != null && (asString(asRecord(tag.environment)?.name) ?? '') === '') {
        report.error(`${tp}.environment`, 'environment tag name may not be empty');
      }
    }
  });
}

function validateAccessLogging(logging: unknown, report: Report): void {
  asArray(logging).forEach((entry, i) => {
    const l = asRecord(entry);
    if (l === undefined) return;
    const at = `spec.accessLogging[${i}]`;
    const filter = asRecord(l.filter);
    if (filter !== undefined)
      report.errorIf(`${at}.filter.expression`, celParseError(asString(filter.expression) ?? ''));
    validateProviders(l.providers, `${at}.providers`, report);
  });
}

export function validateTelemetry(spec: Json, report: Report): void {
  validatePolicySelection(spec, report);
  validateMetrics(spec.metrics, report);
  validateTracing(spec.tracing, report);
  validateAccessLogging(spec.accessLogging, report);
}
