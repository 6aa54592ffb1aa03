/**
 * What istiod's validation produces for one object: errors (the webhook denies, "configuration is invalid: ...") and
 * warnings (the webhook admits and returns them as AdmissionReview warnings), each tied to the field it is about.
 */
export interface Issue {
  /** kubectl-style path, e.g. `spec.http[0].route[1].weight`. */
  path: string;
  /** istiod's wording, without the `configuration is invalid:` prefix. */
  message: string;
  severity: 'error' | 'warning';
}

export class Report {
  readonly issues: Issue[] = [];

  error(path: string, message: string): void {
    this.issues.push({ path, message, severity: 'error' });
  }

  warn(path: string, message: string): void {
    this.issues.push({ path, message, severity: 'warning' });
  }

  /** Adds `message` as an error when it is defined: for validators that answer `string | undefined`. */
  errorIf(path: string, message: string | undefined): void {
    if (message !== undefined) this.error(path, message);
  }

  /** Adds every message as an error at `path`. */
  errors(path: string, messages: readonly string[]): void {
    for (const m of messages) this.error(path, m);
  }

  get hasErrors(): boolean {
    return this.issues.some((i) => i.severity === 'error');
  }
}

/** `base[key]`, the way kubectl prints a map entry. */
export const keyPath = (base: string, key: string): string => `${base}[${key}]`;
