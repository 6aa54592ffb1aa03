import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { lazySchemaCompilers, refuseHeaderSchemas } from '../../src/server/schema-compilers';

/** A route with a body and a response schema, listening on a free port. */
async function appWith(options: FastifyServerOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify(options) as unknown as FastifyInstance;
  app.post(
    '/x',
    {
      schema: {
        body: { type: 'object', required: ['a'], properties: { a: { type: 'integer' } } },
        response: { 200: { type: 'object', properties: { a: { type: 'integer' } } } },
      },
    },
    async (request) => ({ ...(request.body as object), notInTheSchema: true }),
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

const post = async (url: string, body: unknown) => {
  const res = await fetch(`${url}/x`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.text() };
};

describe("Fastify's schema compilers loaded on first use", () => {
  it('validate and serialize as the defaults do', async () => {
    const lazy = await appWith({ schemaController: lazySchemaCompilers() });
    const defaults = await appWith({});
    try {
      for (const payload of [{ a: 1 }, { a: 'one' }, {}, [1]])
        expect(await post(lazy.url, payload)).toEqual(await post(defaults.url, payload));
      expect(await post(lazy.url, { a: 1 })).toEqual({ status: 200, body: '{"a":1}' });
    } finally {
      await lazy.app.close();
      await defaults.app.close();
    }
  });

  it('refuse a headers schema, which they would not compile as the defaults do', async () => {
    const app = Fastify({ schemaController: lazySchemaCompilers() }) as unknown as FastifyInstance;
    refuseHeaderSchemas(app);
    const register = async () => {
      app.get('/h', { schema: { headers: { type: 'object', required: ['X-Team'] } } }, async () => 'ok');
      await app.ready();
    };
    await expect(register()).rejects.toThrow("GET /h: a headers schema needs Fastify's default compilers");
  });
});
