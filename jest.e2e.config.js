// The end-to-end tests (test/e2e, docs/e2e.md): a real kube-apiserver, etcd, kubectl and meshguard on 127.0.0.1.
// Run with `npm run test:e2e`, which builds what they need first; `npm test` never runs them (they need Go).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // One control plane per test file, scenarios in order: never in parallel.
  maxWorkers: 1,
  testTimeout: 180000,
  slowTestThreshold: 60,
};
