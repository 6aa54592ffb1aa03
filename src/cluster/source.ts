import type { WatchedResource } from './resources';

/** One page of a list: the items as the API server sent them, the list's resourceVersion, the continue token. */
export interface ListPage {
  items: unknown[];
  resourceVersion: string;
  continueToken?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: unknown;
}

/** A failed call, with the HTTP status when there was one (404: not served; 410: resourceVersion too old). */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * Where the view's objects come from: the API server (client-node-source.ts) or, in tests, a fake. Two calls, as
 * an informer needs: list one page of a collection across namespaces, and watch it from a resourceVersion.
 */
export interface ClusterSource {
  /** For logs and /status: the API server's address, or what the fake is. */
  readonly description: string;
  list(
    resource: WatchedResource,
    version: string,
    options: { limit: number; continueToken?: string },
  ): Promise<ListPage>;
  /**
   * Starts a watch; events arrive through onEvent until the stream ends, then onDone is called once (with the error,
   * if any). Resolves with a function that ends the watch early (onDone is still called).
   */
  watch(
    resource: WatchedResource,
    version: string,
    options: { resourceVersion: string; timeoutSeconds: number },
    onEvent: (event: WatchEvent) => void,
    onDone: (error?: SourceError) => void,
  ): Promise<() => void>;
}

/**
 * A source that is still being set up (client-node takes most of a second to load): calls wait for it, and fail
 * as a list or watch would (retried with backoff by the reflectors) if it could not be set up.
 */
export function deferredSource(loading: Promise<ClusterSource>, description: string): ClusterSource {
  let current = description;
  let failure: SourceError | undefined;
  const ready = loading.then(
    (source) => {
      current = source.description;
      return source;
    },
    (err: unknown) => {
      failure = new SourceError(`cannot connect to the API server: ${(err as Error).message}`);
      throw failure;
    },
  );
  // Every caller handles the failure; this only keeps it from counting as unhandled.
  ready.catch(() => undefined);
  return {
    get description() {
      return failure === undefined ? current : `${current} (${failure.message})`;
    },
    list: async (...args) => (await ready).list(...args),
    watch: async (...args) => (await ready).watch(...args),
  };
}
