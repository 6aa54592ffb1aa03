import type { AnyPolicy } from '../src/engine/policy';
import circuitBreakerBounds from './circuit-breaker-bounds';
import circuitBreakerRequired from './circuit-breaker-required';
import denyAllBaselinePresent from './deny-all-baseline-present';
import denyAllDefault from './deny-all-default';
import destinationRuleUnique from './destination-rule-unique';
import drSubsetInUse from './dr-subset-in-use';
import egressRegistryOnly from './egress-registry-only';
import faultInjection from './fault-injection';
import gatewayTls from './gateway-tls';
import hostWildcards from './host-wildcards';
import istioSemantics from './istio-semantics';
import jwtRules from './jwt-rules';
import mtlsMode from './mtls-mode';
import peerAuthenticationUnique from './peer-authentication-unique';
import retryTimeoutBudget from './retry-timeout-budget';
import routeWeights from './route-weights';
import schema from './schema';
import tracingSampling from './tracing-sampling';
import vsGatewayDefined from './vs-gateway-defined';
import vsSubsetDefined from './vs-subset-defined';

/**
 * Every policy meshguard knows, in the order findings are evaluated. The single source the engine, the
 * configuration schema, `meshguard policies`, the docs table and the chart's webhook rules are derived from.
 */
export const policies: readonly AnyPolicy[] = [
  schema,
  mtlsMode,
  routeWeights,
  retryTimeoutBudget,
  faultInjection,
  denyAllDefault,
  jwtRules,
  hostWildcards,
  egressRegistryOnly,
  circuitBreakerBounds,
  circuitBreakerRequired,
  tracingSampling,
  gatewayTls,
  istioSemantics,
  // Cross-object policies: they read the cluster view (src/cluster).
  vsSubsetDefined,
  vsGatewayDefined,
  drSubsetInUse,
  peerAuthenticationUnique,
  destinationRuleUnique,
  denyAllBaselinePresent,
] as AnyPolicy[];
