import { InvalidArgumentError } from 'commander';
import { inClusterConnection, kubeconfigConnection } from '../cluster/kube-client';
import type { ensureDevCertificate as EnsureDevCertificate } from '../server/dev-certificate';
import { type FailClosedSettings, startServer } from '../server/start-server';
import { sampleReviewCurl } from './sample-review';
import type { ServeCliOptions } from './serve-command';

/** `meshguard serve`: starts the webhook, and stops it gracefully on SIGTERM or SIGINT. */
export async function serve(opts: ServeCliOptions): Promise<void> {
  if ((opts.cert === undefined) !== (opts.key === undefined)) {
    throw new InvalidArgumentError('--cert and --key go together: give both, or neither for a development certificate');
  }
  let certFile = opts.cert;
  let keyFile = opts.key;
  let devCa: string | undefined;
  if (certFile === undefined || keyFile === undefined) {
    // Loaded only here: @peculiar/x509 costs ~150 ms of start-up that a server given its certificate never needs.
    const { ensureDevCertificate } = require('../server/dev-certificate') as {
      ensureDevCertificate: typeof EnsureDevCertificate;
    };
    const dev = await ensureDevCertificate(opts.devCertDir);
    certFile = dev.cert;
    keyFile = dev.key;
    devCa = dev.caCert;
  }
  let failClosed: FailClosedSettings | undefined;
  if (opts.failClosedAfterProbe !== undefined) {
    failClosed = {
      webhookConfiguration: opts.failClosedAfterProbe,
      webhookName: opts.webhookName,
      probeNamespace: opts.probeNamespace,
      connection: opts.kubeconfig === undefined ? inClusterConnection() : kubeconfigConnection(opts.kubeconfig),
    };
  }
  const server = await startServer({
    host: opts.host,
    port: opts.port,
    certFile,
    keyFile,
    clientCaFile: opts.clientCa,
    deadline: opts.evaluationDeadlineMs > 0 ? { ms: opts.evaluationDeadlineMs, action: opts.onDeadline } : undefined,
    shutdown: { delayMs: opts.shutdownDelayMs, timeoutMs: opts.shutdownTimeoutMs },
    failClosed,
    debugEndpoints: opts.debugEndpoints === true,
    metricsPort: opts.metrics === false ? undefined : opts.metricsPort,
    metricsHost: opts.metricsHost,
    bodyLimit: opts.bodyLimit,
    logLevel: opts.logLevel,
    configFile: opts.config,
  });
  if (devCa !== undefined) {
    process.stderr.write(
      `\nmeshguard is serving with a development certificate; its CA is ${devCa}\nTry a review:\n\n${sampleReviewCurl(devCa, server.url)}\n\n`,
    );
  }
  const stop = (signal: string) => {
    server.logger.info({ signal }, 'shutting down');
    server.shutdown().then(
      // Exit 1 only when connections had to be cut at the timeout: a review may have failed.
      (result) => process.exit(result.forced > 0 ? 1 : 0),
      (err: unknown) => {
        server.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
