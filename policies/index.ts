import type { AnyPolicy } from '../src/engine/policy';
import mtlsMode from './mtls-mode';
import schema from './schema';

/**
 * Every policy meshguard knows, in the order findings are evaluated. The single source the engine, the
 * configuration schema, `meshguard policies`, the docs table and the chart's webhook rules are derived from.
 */
export const policies: readonly AnyPolicy[] = [schema, mtlsMode] as AnyPolicy[];
