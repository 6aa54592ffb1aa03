/** Ready means: validators loaded and not shutting down. Probes read it; nothing else decides it. */
export class Readiness {
  private notReady = new Set<string>(['starting']);
  private drainingSince: number | undefined;

  set(reason: string, blocking: boolean): void {
    if (blocking) this.notReady.add(reason);
    else this.notReady.delete(reason);
  }

  /**
   * Shutdown has begun: not ready from now on, for good, and every answer asks the client to close its connection
   * (`Connection: close`) so that its next review goes to another replica.
   */
  startDraining(): void {
    this.set('shutting down', true);
    this.drainingSince ??= Date.now();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  get ready(): boolean {
    return this.notReady.size === 0;
  }

  get reasons(): string[] {
    return [...this.notReady];
  }
}
