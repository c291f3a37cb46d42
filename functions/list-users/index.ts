import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';

/**
 * `GET /list-users`, behind the samples' Lambda authorizer: answers the sample users. It checks the
 * role the authorizer put in the context as well, so a route wired without the authorizer by mistake
 * answers 403 instead of leaking the list.
 */
const USERS = [
  { id: 'u-1001', name: 'Ana' },
  { id: 'u-1002', name: 'Bo' },
];

type Event = APIGatewayProxyEventV2WithLambdaAuthorizer<{ role?: string }>;

export const handler = async (event: Event): Promise<APIGatewayProxyStructuredResultV2> => {
  const role = event?.requestContext?.authorizer?.lambda?.role;
  if (role !== 'user' && role !== 'admin')
    return json(403, { message: 'Forbidden: no role from the authorizer' });
  return json(200, { users: USERS, role });
};

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
