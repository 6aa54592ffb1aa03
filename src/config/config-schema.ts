import type { AnyPolicy } from '../engine/policy';

const ACTIONS = ['deny', 'warn', 'audit', 'off'];
const stringList = { type: 'array', items: { type: 'string', minLength: 1 } };

/** metav1.LabelSelector, as Kubernetes writes it in a namespaceSelector. */
const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string', minLength: 1 },
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

/**
 * The configuration's JSON Schema, derived from the policy registry so a new policy's id and parameters are known
 * to the loader without anyone writing them twice.
 */
export function configSchema(policies: readonly AnyPolicy[]): Record<string, unknown> {
  const policyProps: Record<string, unknown> = {};
  for (const p of policies) {
    policyProps[p.id] = {
      type: 'object',
      additionalProperties: false,
      properties: { action: { enum: ACTIONS }, params: p.paramsSchema },
    };
  }
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      apiVersion: { const: 'meshguard.io/v1alpha1' },
      kind: { const: 'MeshguardConfig' },
      enforcement: { enum: ['enforce', 'warn-only'] },
      meshRootNamespace: { type: 'string', minLength: 1 },
      ratcheting: { type: 'boolean' },
      policies: { type: 'object', additionalProperties: false, properties: policyProps },
      namespaceOverrides: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          // One of namespaces and namespaceSelector is required: load-config.ts says so in plain words.
          required: ['policies'],
          properties: {
            namespaces: { ...stringList, minItems: 1 },
            namespaceSelector: labelSelector,
            policies: { type: 'object', additionalProperties: { enum: ACTIONS } },
          },
        },
      },
      exemptions: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['policies', 'reason'],
          properties: {
            policies: { ...stringList, minItems: 1 },
            namespaces: stringList,
            names: stringList,
            kinds: stringList,
            labels: { type: 'object', additionalProperties: { type: 'string' } },
            reason: { type: 'string', minLength: 1 },
            until: { type: 'string', format: 'date-time' },
          },
        },
      },
      annotationExemptions: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enabled: { type: 'boolean' },
          maxDuration: { type: 'string', minLength: 2 },
          forbiddenPolicies: stringList,
        },
      },
      schemaPolicies: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'kinds', 'message', 'schema'],
          properties: {
            id: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
            summary: { type: 'string' },
            kinds: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['group', 'kind'],
                properties: { group: { type: 'string' }, kind: { type: 'string' } },
              },
            },
            action: { enum: ACTIONS },
            message: { type: 'string', minLength: 1 },
            hint: { type: 'string' },
            schema: { type: 'object' },
          },
        },
      },
    },
  };
}
