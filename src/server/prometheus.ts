import type * as prom from 'prom-client';

// The parts of prom-client meshguard uses, each required from its own file: the package's index also loads
// Summary, Pushgateway, the cluster aggregator and the metric aggregators, about 14 ms of `serve`'s start-up for
// classes meshguard never uses. They are the index's very classes (test/server/prometheus.test.ts checks).

export const Registry = require('prom-client/lib/registry') as typeof prom.Registry;
export type Registry = prom.Registry;
export const Counter = require('prom-client/lib/counter') as typeof prom.Counter;
export type Counter<T extends string = string> = prom.Counter<T>;
export const Gauge = require('prom-client/lib/gauge') as typeof prom.Gauge;
export type Gauge<T extends string = string> = prom.Gauge<T>;
export const Histogram = require('prom-client/lib/histogram') as typeof prom.Histogram;
export type Histogram<T extends string = string> = prom.Histogram<T>;
