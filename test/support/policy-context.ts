import type { PolicyContext } from '../../src/engine/policy';

/** A policy context for unit tests: defaults merged with overrides, a fixed clock, no schema errors. */
export function policyContext<Params>(
  defaults: Params,
  overrides: Partial<Omit<PolicyContext<Params>, 'params'>> & { params?: Partial<Params> } = {},
): PolicyContext<Params> {
  const { params, ...rest } = overrides;
  return {
    operation: 'CREATE',
    namespace: 'default',
    meshRootNamespace: 'istio-system',
    now: new Date('2026-11-22T12:00:00Z'),
    schemaErrors: () => [],
    ...rest,
    params: { ...defaults, ...params },
  };
}
