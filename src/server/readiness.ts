/** Ready means: validators loaded and not shutting down. Probes read it; nothing else decides it. */
export class Readiness {
  private notReady = new Set<string>(['starting']);

  set(reason: string, blocking: boolean): void {
    if (blocking) this.notReady.add(reason);
    else this.notReady.delete(reason);
  }

  get ready(): boolean {
    return this.notReady.size === 0;
  }

  get reasons(): string[] {
    return [...this.notReady];
  }
}
