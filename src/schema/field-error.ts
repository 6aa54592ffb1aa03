/**
 * Validation errors shaped like the API server's `field.Error`, so a message from meshguard reads exactly like
 * the one `kubectl apply` would print for the same mistake:
 *   spec.trafficPolicy.tls.mode: Unsupported value: "MUTUALX": supported values: "DISABLE", "SIMPLE", ...
 */
export type FieldErrorType =
  | 'Required'
  | 'NotSupported'
  | 'Invalid'
  | 'TypeInvalid'
  | 'TooLong'
  | 'TooMany'
  | 'Duplicate'
  | 'Forbidden'
  | 'FieldValueUnknown';

export interface FieldError {
  type: FieldErrorType;
  /** Dotted path as kubectl prints it, e.g. `spec.http[0].route[1].weight`. */
  path: string;
  /** The offending value, when the message quotes it. */
  value?: unknown;
  hasValue: boolean;
  /** Text after the type, e.g. `supported values: "A", "B"`. */
  detail: string;
  /** Where it came from: the structural OpenAPI schema or a CEL rule (`x-kubernetes-validations`). */
  origin: 'schema' | 'cel' | 'metadata';
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  Required: 'Required value',
  NotSupported: 'Unsupported value',
  Invalid: 'Invalid value',
  TypeInvalid: 'Invalid value',
  TooLong: 'Too long',
  TooMany: 'Too many',
  Duplicate: 'Duplicate value',
  Forbidden: 'Forbidden',
  FieldValueUnknown: 'Unknown field',
};

/** Go's %#v-like rendering the API server uses for values in messages. */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return '"array"';
  return '"object"';
}

/** What follows the path: `Unsupported value: "X": supported values: ...`. */
export function formatFieldErrorBody(e: FieldError): string {
  // kubectl --validate=strict words unknown fields this way; keep it recognisable.
  if (e.type === 'FieldValueUnknown') return 'unknown field';
  let body = TYPE_TEXT[e.type];
  if (e.hasValue) body += `: ${renderValue(e.value)}`;
  if (e.detail !== '') body += `: ${e.detail}`;
  return body;
}

export function formatFieldError(e: FieldError): string {
  if (e.type === 'FieldValueUnknown') return `unknown field "${e.path}"`;
  return `${e.path}: ${formatFieldErrorBody(e)}`;
}

export function fieldError(
  type: FieldErrorType,
  path: string,
  detail: string,
  origin: FieldError['origin'],
  value?: { value: unknown },
): FieldError {
  return value
    ? { type, path, detail, origin, hasValue: true, value: value.value }
    : { type, path, detail, origin, hasValue: false };
}

/**
 * Errors after which the API server skips CEL rules ("some validation rules were not checked because the object
 * was invalid"): the rules would otherwise run on data of the wrong shape.
 */
export function blocksCel(e: FieldError): boolean {
  return (
    e.type === 'NotSupported' ||
    e.type === 'Required' ||
    e.type === 'TooLong' ||
    e.type === 'TooMany' ||
    e.type === 'TypeInvalid'
  );
}
