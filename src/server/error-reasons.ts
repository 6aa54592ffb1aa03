import { BodyParseError } from './json-body-parser';

export interface RequestErrorShape {
  code?: string;
  statusCode?: number;
  message: string;
}

/** Maps a request that failed before evaluation to an HTTP status, a metric reason and a message for the caller. */
export function classifyRequestError(
  error: RequestErrorShape,
  contentType: string | undefined,
): { status: number; reason: string; message: string } {
  if (error instanceof BodyParseError) return { status: 400, reason: error.reason, message: error.message };
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        reason: 'unsupported_media_type',
        message: `content-type must be application/json (got ${JSON.stringify(contentType ?? 'none')})`,
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, reason: 'body_too_large', message: `request body too large: ${error.message}` };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, reason: 'empty_body', message: 'the body is empty; POST an AdmissionReview as JSON' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        reason: 'invalid_content_length',
        message: 'the Content-Length header does not match the body',
      };
    default:
      break;
  }
  const status =
    error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  return status === 500
    ? { status, reason: 'internal', message: 'internal error; see meshguard logs' }
    : { status, reason: 'bad_request', message: error.message };
}
