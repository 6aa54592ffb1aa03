import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helmTemplate, type K8sObject, only } from '../../support/helm';

export const E2E_VALUES = join(__dirname, '../values.yaml');

interface WebhookClientConfig {
  service?: { name: string; namespace: string; path?: string; port?: number };
  url?: string;
  caBundle?: string;
}

interface Webhook {
  name: string;
  clientConfig: WebhookClientConfig;
  [field: string]: unknown;
}

export interface RenderWebhookOptions {
  /** PEM CA that signed meshguard's serving certificate. */
  caPem: string;
  /** `https://127.0.0.1:<port>`: where meshguard listens. */
  baseUrl: string;
  /** `--set` expressions for the chart, e.g. `webhook.failurePolicy=Ignore`. */
  set?: readonly string[];
}

/**
 * The chart's ValidatingWebhookConfiguration, as `helm template` renders it with test/e2e/values.yaml, the CA, and
 * `webhook.url` pointing at meshguard on loopback (the control plane here has no Services that route anywhere).
 * Rules, selectors, matchConditions, failurePolicy and timeouts are exactly what an install gets.
 */
export function renderWebhookConfiguration(options: RenderWebhookOptions): K8sObject {
  const caBundle = Buffer.from(options.caPem).toString('base64');
  const url = `${options.baseUrl}/validate`;
  const objects = helmTemplate({
    valuesFiles: [E2E_VALUES],
    set: [`tls.caBundle=${caBundle}`, `webhook.url=${url}`, ...(options.set ?? [])],
  });
  const config = only(objects, 'ValidatingWebhookConfiguration');
  for (const webhook of config.webhooks as Webhook[]) {
    const { clientConfig } = webhook;
    if (clientConfig.url !== url || clientConfig.service !== undefined || clientConfig.caBundle !== caBundle)
      throw new Error(`webhook ${webhook.name}: the chart did not render webhook.url and tls.caBundle as set`);
  }
  return config;
}

/** Writes the object as a JSON manifest (kubectl takes JSON as well as YAML) and returns the file. */
export function writeManifest(dir: string, name: string, object: K8sObject): string {
  const file = join(dir, name);
  writeFileSync(file, `${JSON.stringify(object, null, 2)}\n`);
  return file;
}
