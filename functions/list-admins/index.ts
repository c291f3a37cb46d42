import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';

/**
 * `GET /list-admins`, behind the samples' Lambda authorizer: answers the sample admins, to the admin
 * role only. It checks the role the authorizer put in the context as well (defence in depth).
 */
const ADMINS = [{ id: 'a-9001', name: 'Root Rider' }];

type Event = APIGatewayProxyEventV2WithLambdaAuthorizer<{ role?: string }>;

export const handler = async (event: Event): Promise<APIGatewayProxyStructuredResultV2> => {
  const role = event?.requestContext?.authorizer?.lambda?.role;
  if (role !== 'admin') return json(403, { message: 'Forbidden: the admin role is needed' });
  return json(200, { admins: ADMINS, role });
};

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
