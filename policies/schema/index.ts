import { definePolicy } from '../../src/engine/policy';
import { formatFieldErrorBody } from '../../src/schema/field-error';

/**
 * Istio's CRD schemas and CEL rules, as the API server applies them. In webhook mode the API server has already
 * done this, so it only matters for objects that reach meshguard some other way; offline (the CLI) it is the
 * check `kubectl apply --validate=strict` would make.
 */
export default definePolicy({
  id: 'schema',
  summary: "The object matches Istio's CRD schema and its CEL rules, as the Kubernetes API server checks them.",
  appliesTo: '*',
  defaultAction: 'deny',
  defaults: {},
  paramsSchema: { type: 'object', additionalProperties: false },
  check(object, ctx) {
    return ctx.schemaErrors(object).map((e) => ({ path: e.path, message: formatFieldErrorBody(e) }));
  },
});
