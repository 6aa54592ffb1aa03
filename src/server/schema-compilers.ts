import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

type CompilersFactory = Required<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>
>;

// Resolved from Fastify's own folder: these are Fastify's dependencies, the very modules it would load itself.
const fastifyRequire = createRequire(require.resolve('fastify'));

function loadedOnFirstCall<F extends (...args: never[]) => unknown>(load: () => F): F {
  let loaded: F | undefined;
  const call = (...args: Parameters<F>) => {
    loaded ??= load();
    return loaded(...args);
  };
  return call as unknown as F;
}

// One of each per process, as Fastify's defaults are (they keep a cache of compilers per set of options).
const buildValidator = loadedOnFirstCall(() =>
  (fastifyRequire('@fastify/ajv-compiler') as () => CompilersFactory['buildValidator'])(),
);
const buildSerializer = loadedOnFirstCall(() =>
  (fastifyRequire('@fastify/fast-json-stringify-compiler') as () => CompilersFactory['buildSerializer'])(),
);

/**
 * Fastify's default schema compilers, loaded when a route first needs one instead of when an instance is created.
 * Loading them (ajv, fast-json-stringify) costs `serve` about 40 ms of start-up, and meshguard's routes declare no
 * schema. Give this to Fastify() as `schemaController`, and call refuseHeaderSchemas() on the instance.
 */
export function lazySchemaCompilers(): { compilersFactory: CompilersFactory } {
  return { compilersFactory: { buildValidator, buildSerializer } };
}

/**
 * Fastify treats compilers given through `schemaController` as custom ones, and then compiles a route's `headers`
 * schema as written instead of with lower-cased keys: the one way lazySchemaCompilers() could change behaviour.
 */
export function refuseHeaderSchemas(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.schema?.headers !== undefined)
      throw new Error(
        `${route.method} ${route.url}: a headers schema needs Fastify's default compilers (see schema-compilers.ts)`,
      );
  });
}
