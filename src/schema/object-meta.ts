import { type FieldError, fieldError } from './field-error';

// The API server checks metadata itself before any webhook sees an object, so these only matter offline.
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateObjectMeta(object: Record<string, unknown>): FieldError[] {
  const meta = object.metadata;
  if (meta === undefined || meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    return [fieldError('Required', 'metadata', '', 'metadata')];
  }
  const m = meta as Record<string, unknown>;
  const out: FieldError[] = [];
  if (m.name === undefined && m.generateName === undefined) {
    out.push(fieldError('Required', 'metadata.name', 'name or generateName is required', 'metadata'));
  } else if (m.name !== undefined) {
    if (typeof m.name !== 'string' || m.name.length > 253 || !DNS1123_SUBDOMAIN.test(m.name)) {
      out.push(
        fieldError(
          'Invalid',
          'metadata.name',
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')",
          'metadata',
          { value: m.name },
        ),
      );
    }
  }
  if (
    m.namespace !== undefined &&
    (typeof m.namespace !== 'string' || m.namespace.length > 63 || !DNS1123_LABEL.test(m.namespace))
  ) {
    out.push(
      fieldError(
        'Invalid',
        'metadata.namespace',
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name')",
        'metadata',
        { value: m.namespace },
      ),
    );
  }
  return out;
}
