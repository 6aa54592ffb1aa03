/**
 * WasmPlugin and TrafficExtension (extensions.istio.io): selection; a module URL (file, http, https or oci, a bare
 * `registry/image` counting as OCI), a lowercase hex SHA-256, bounded names, VM environment variables (unique,
 * a value only when INLINE), traffic-selector ports 1..65535; for TrafficExtension exactly one of wasm and lua.
 */
import { asArray, asNumber, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { parseRequestURI, parseURL } from '../../src/schema/go-url';
import type { Report } from './report';
import { validatePolicySelection } from './target-refs';

const URL_SCHEMES = new Set(['', 'file', 'http', 'https', 'oci']);

/** istiod's strictParseURL then the scheme check; undefined when the URL is acceptable. */
export function wasmUrlError(url: string): string | undefined {
  if (url === '') return 'url field needs to be set';
  let parsed = parseRequestURI(url);
  if (!parsed.ok) {
    const original = parsed.error;
    const withScheme = `http://${url}`;
    parsed = parseRequestURI(withScheme);
    if (!parsed.ok) return `failed to parse url: ${original}`;
    const strict = parseURL(withScheme);
    if (!strict.ok) return `failed to strict parse url: ${strict.error}`;
  } else {
    const strict = parseURL(url);
    if (!strict.ok) return `failed to strict parse url: ${strict.error}`;
  }
  const scheme = parsed.url.scheme;
  return URL_SCHEMES.has(scheme) ? undefined : `url contains unsupported scheme: ${scheme}`;
}

/** The module fields WasmPlugin has at the top level and TrafficExtension under `wasm`. */
function validateWasmModule(wasm: Json, path: string, report: Report): void {
  report.errorIf(`${path}.url`, wasmUrlError(asString(wasm.url) ?? ''));
  const sha = asString(wasm.sha256) ?? '';
  if (sha !== '') {
    if (sha.length !== 64) report.error(`${path}.sha256`, 'sha256 field must be 64 characters long');
    else if (!/^[a-f0-9]*$/.test(sha)) report.error(`${path}.sha256`, 'sha256 field must match [a-f0-9]{64} pattern');
  }
  if ((asString(wasm.imagePullSecret) ?? '').length > 253) {
    report.error(`${path}.imagePullSecret`, 'imagePullSecret field must be less than 253 characters long');
  }
  if ((asString(wasm.pluginName) ?? '').length > 256)
    report.error(`${path}.pluginName`, 'pluginName field must be less than 255 characters long');
  const names = new Set<string>();
  const env = asArray(asRecord(wasm.vmConfig)?.env);
  for (let i = 0; i < env.length; i++) {
    const e = asRecord(env[i]);
    if (e === undefined) continue;
    const at = `${path}.vmConfig.env[${i}]`;
    const name = asString(e.name) ?? '';
    // istiod reports only the first problem of the VM configuration.
    if (name === '') {
      report.error(`${at}.name`, 'spec.vmConfig.env invalid');
      return;
    }
    if (name.length > 256) {
      report.error(`${at}.name`, 'env.name field must be less than 255 characters long');
      return;
    }
    if (names.has(name)) {
      report.error(`${at}.name`, 'duplicate env');
      return;
    }
    names.add(name);
    if ((asString(e.valueFrom) ?? 'INLINE') !== 'INLINE' && (asString(e.value) ?? '') !== '') {
      report.error(`${at}.value`, 'value may only be set when valueFrom is INLINE');
      return;
    }
  }
}

function validateMatch(match: unknown, report: Report): void {
  const selectors = asArray(match);
  for (let i = 0; i < selectors.length; i++) {
    const sel = asRecord(selectors[i]);
    if (sel === undefined) {
      report.error(`spec.match[${i}]`, `spec.Match[${i}] is nil`);
      return;
    }
    const ports = asArray(sel.ports);
    for (let k = 0; k < ports.length; k++) {
      const port = asRecord(ports[k]);
      if (port === undefined) {
        report.error(`spec.match[${i}].ports[${k}]`, `spec.Match[${i}].Ports[${k}] is nil`);
        return;
      }
      const n = asNumber(port.number) ?? 0;
      if (n <= 0 || n > 65535) {
        report.error(`spec.match[${i}].ports[${k}].number`, `spec.Match[${i}].Ports[${k}] is out of range: ${n}`);
        return;
      }
    }
  }
}

export function validateWasmPlugin(spec: Json, report: Report): void {
  validatePolicySelection(spec, report);
  validateWasmModule(spec, 'spec', report);
  validateMatch(spec.match, report);
}

export function validateTrafficExtension(spec: Json, report: Report): void {
  validatePolicySelection(spec, report);
  const wasm = asRecord(spec.wasm);
  const lua = asRecord(spec.lua);
  if ((wasm === undefined) === (lua === undefined)) report.error('spec', 'exactly one of wasm or lua must be set');
  if (wasm !== undefined) validateWasmModule(wasm, 'spec.wasm', report);
  if (lua !== undefined && (asString(lua.inlineCode) ?? '') === '')
    report.error('spec.lua.inlineCode', 'lua inlineCode must be set');
  validateMatch(spec.match, report);
}
