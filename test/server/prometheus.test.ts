import * as promClient from 'prom-client';
import { Counter, Gauge, Histogram, Registry } from '../../src/server/prometheus';
import { collectDefaultMetrics } from '../../src/server/prometheus-defaults';

// src/server/prometheus.ts and prometheus-defaults.ts require prom-client's files one by one; an upgrade that moves them must fail here.
it.each([
  ['Registry', Registry, promClient.Registry],
  ['Counter', Counter, promClient.Counter],
  ['Gauge', Gauge, promClient.Gauge],
  ['Histogram', Histogram, promClient.Histogram],
  ['collectDefaultMetrics', collectDefaultMetrics, promClient.collectDefaultMetrics],
] as const)("%s is prom-client's own", (_name, ours, theirs) => {
  expect(ours).toBe(theirs);
});
