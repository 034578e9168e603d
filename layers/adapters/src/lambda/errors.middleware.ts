// The one error middleware: maps domain errors (`SwitchyardError` and subclasses) to HTTP in the
// OpenAI error shape; anything else is a 500 with a request id and no stack trace. Logs never
// include request bodies.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { SwitchyardError } from '@switchyard/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorResponse(err: unknown, requestId: string): APIGatewayProxyResult {
  const known = err instanceof SwitchyardError;
  const body: OpenAiErrorBody = known
    ? { error: { message: err.message, type: err.type, param: err.param, code: err.code } }
    : {
        error: {
          message: `Internal error. Quote request id ${requestId} when reporting it.`,
          type: 'server_error',
          param: null,
          code: 'internal_error',
        },
      };
  return {
    statusCode: known ? err.status : 500,
    headers: {
      'content-type': 'application/json',
      'x-request-id': requestId,
      ...(known ? err.headers : {}),
    },
    body: JSON.stringify(body),
  };
}

export function openAiErrors(
  logger: Logger,
  requestIdOf: (event: APIGatewayProxyEvent) => string,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    name: 'openAiErrors',
    onError: (request) => {
      const err = request.error;
      const requestId = requestIdOf(request.event);
      const response = errorResponse(err, requestId);
      if (response.statusCode >= 500) {
        logger.error('request failed', { status: response.statusCode, error: describe(err) });
      } else {
        logger.warn('request rejected', { status: response.statusCode, error: describe(err) });
      }
      request.response = response;
    },
  };
}

/** An error for the logs: name, message, code, cause chain, and the stack only for unknown errors. */
function describe(err: unknown): Record<string, unknown> {
  if (err instanceof SwitchyardError) {
    return { name: err.name, message: err.message, code: err.code, cause: causeOf(err) };
  }
  if (err instanceof Error)
    return { name: err.name, message: err.message, stack: err.stack, cause: causeOf(err) };
  return { value: String(err) };
}

function causeOf(err: Error): string | undefined {
  const c = err.cause;
  return c instanceof Error ? `${c.name}: ${c.message}` : c === undefined ? undefined : String(c);
}
