import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';

export class BodyParseError extends Error {
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly reason: 'empty_body' | 'malformed_json' | 'prototype_poisoning',
  ) {
    super(message);
  }
}

/**
 * Replaces Fastify's JSON parser to say precisely what is wrong with a body ("Unexpected end of JSON input",
 * "forbidden prototype property") instead of a generic "not valid JSON". Keys that could poison prototypes
 * (`__proto__`, `constructor.prototype`) are refused, never silently dropped.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (_request: FastifyRequest, body: string | Buffer, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '')
        return done(new BodyParseError('the body is empty; POST an AdmissionReview as JSON', 'empty_body'), undefined);
      try {
        done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
      } catch (err) {
        const message = (err as Error).message;
        if (/prototype/i.test(message)) {
          return done(
            new BodyParseError(`refused: the JSON contains a forbidden key (${message})`, 'prototype_poisoning'),
            undefined,
          );
        }
        done(new BodyParseError(`the body is not valid JSON: ${message}`, 'malformed_json'), undefined);
      }
    },
  );
}
