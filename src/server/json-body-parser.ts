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
 * The keys secure-json-parse refuses, in any spelling JSON allows, need either the literal text (`__proto__`,
 * `constructor`) or a `\u` escape in the body. A body with none of the three cannot hold one, so its scan (two
 * regular expressions over the whole body, about as costly as the validation of a small object) is skipped.
 */
function mayHoldForbiddenKey(text: string): boolean {
  return text.includes('\\u') || text.includes('__proto__') || text.includes('constructor');
}

/** A byte-order mark is not JSON, but secure-json-parse (Fastify's default) accepts one; so does meshguard. */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Whitespace only (or nothing), found without copying the body as `trim()` would. */
const BLANK = /^\s*$/;

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
      if (BLANK.test(text))
        return done(new BodyParseError('the body is empty; POST an AdmissionReview as JSON', 'empty_body'), undefined);
      try {
        done(
          null,
          mayHoldForbiddenKey(text)
            ? secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
            : JSON.parse(withoutBom(text)),
        );
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
