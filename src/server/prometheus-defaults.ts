import type * as prom from 'prom-client';

// prom-client's default metrics, in a module of their own so that requiring them (and the OpenTelemetry API their CPU
// counter loads) can wait until the server is ready; see ServerMetrics.registerProcessMetrics().
export const collectDefaultMetrics = require('prom-client/lib/defaultMetrics') as typeof prom.collectDefaultMetrics;
